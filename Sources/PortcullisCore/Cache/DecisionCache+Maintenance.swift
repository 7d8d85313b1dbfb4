import PortcullisModel
import PortcullisSQLite

/// The cache's background work, run by `CacheWriter` (and by `portcullis bench-cache` to measure it): warming L1 from
/// L3, recording the hot set, sweeping expired entries, committing queued L2/L3 writes.
extension DecisionCache {
    /// Loads the hottest L3 entries into L1 (at start, in the background); returns how many were loaded.
    @discardableResult
    public func warm(limit: Int) -> Int {
        let now = clock.milliseconds()
        guard let layers, let entries = try? layers.hottest(limit: limit, now: now) else { return 0 }
        var loaded = 0
        for (key, entry) in entries where versions.isCurrent(entry.dependencies) {
            l1.put(key, entry, now: now)
            loaded += 1
        }
        return loaded
    }

    /// Queues L1's hottest live entries, with their hit counts, for L3 (so a restart warms from them).
    public func persistHotSet(limit: Int) {
        guard let layers else { return }
        let now = clock.milliseconds()
        for (key, entry, hits) in l1.hottest(limit: limit) where entry.expiresAt > now {
            layers.enqueuePut(.l3, key, capped(entry, ttlSeconds: configuration.l3TTLSeconds, now: now), hits: Int64(hits))
        }
    }

    /// Drops expired entries from every layer, so memory and the cache file follow the TTLs.
    public func sweep() throws {
        let now = clock.milliseconds()
        l1.removeExpired(now: now)
        try layers?.sweep(now: now)
    }

    /// Commits queued L2/L3 writes; returns how many were written.
    @discardableResult
    public func flush() throws -> Int {
        try layers?.flush() ?? 0
    }
}
