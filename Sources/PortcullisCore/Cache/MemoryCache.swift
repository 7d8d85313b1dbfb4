import PortcullisModel
import PortcullisSQLite
import Synchronization

/// L1: entries in process memory, lock-striped over shards, within a byte budget. Times (`now`, expiry, last use) are
/// Unix milliseconds.
///
/// Eviction is hybrid: when a shard is over its share of the budget, a few entries are sampled and the one with the
/// lowest score goes, where the score weighs priority, frequency (hits, LFU) and recency (minutes since last use,
/// LRU). Sampling keeps eviction O(1) per insert, as in Redis' approximate LRU.
final class MemoryCache: Sendable {
    struct Slot {
        var entry: CacheEntry
        var bytes: Int
        var hits: UInt32
        var lastUsed: Int64
        var position: Int
        /// The applied revision at which the entry last passed validation; -1 before it has. While the revision stays
        /// there no version can have moved (a commit's versions are applied before its revision), so the entry is
        /// current without looking its dependencies up again.
        var validAt: Int64 = -1
    }

    struct Shard {
        var slots: [String: Slot] = [:]
        /// Keys in an array for O(1) random sampling; `Slot.position` indexes it.
        var keys: [String] = []
        var bytes = 0
        var evictions = 0
        var generator = SplitMix64(seed: 0x9E37)
    }

    let budgetBytes: Int
    let ttlSeconds: Int64
    /// One lock per shard; boxed because a `Mutex` cannot be copied into an array.
    final class ShardLock: Sendable {
        let mutex = Mutex(Shard())
    }

    private let shards: [ShardLock]
    private let shardBudget: Int
    static let sampleSize = 5

    init(budgetBytes: Int = 300 * 1024 * 1024, ttlSeconds: Int64 = 300, shardCount: Int = 16) {
        self.budgetBytes = budgetBytes
        self.ttlSeconds = ttlSeconds
        self.shards = (0..<shardCount).map { _ in ShardLock() }
        self.shardBudget = max(1, budgetBytes / shardCount)
    }

    /// FNV-1a over the key's bytes picks the shard: only lock striping depends on it (each shard's dictionary hashes
    /// with the standard library's seeded hasher), and it costs a fraction of a second SipHash pass.
    private func shard(for key: String) -> ShardLock {
        shards[Int(FNV1a.hash(key) % UInt64(shards.count))]
    }

    /// The entry if present and not expired, counting the hit (validation against versions is the caller's).
    func get(_ key: String, now: Int64) -> CacheEntry? {
        getCounting(key, now: now, revision: -1, isCurrent: { _ in false })?.entry
    }

    /// A found entry: how many times it has now been hit (1 on its first reuse) and whether it is current.
    struct Found {
        var entry: CacheEntry
        var hits: UInt32
        var isCurrent: Bool
    }

    /// The entry if present and not expired, counting the hit, with whether it is current at `revision` (the applied
    /// revision, read before this call): known when it was validated at that same revision, else `isCurrent` decides
    /// (and a current entry remembers the revision). A stale entry is returned as such; removing it is the caller's.
    func getCounting(_ key: String, now: Int64, revision: Int64, isCurrent: (CacheEntry) -> Bool) -> Found? {
        shard(for: key).mutex.withLock { shard in
            guard let index = shard.slots.index(forKey: key) else { return nil }
            let slot = shard.slots.values[index]
            guard slot.entry.expiresAt > now else {
                Self.remove(key, from: &shard)
                return nil
            }
            let current = slot.validAt == revision || isCurrent(slot.entry)
            let hits = slot.hits &+ 1
            shard.slots.values[index].hits = hits
            shard.slots.values[index].lastUsed = now
            if current { shard.slots.values[index].validAt = revision }
            return Found(entry: slot.entry, hits: hits, isCurrent: current)
        }
    }

    /// Stores an entry, capping its expiry at this layer's TTL, evicting as needed to stay within budget.
    func put(_ key: String, _ entry: CacheEntry, now: Int64) {
        var entry = entry
        entry.expiresAt = min(entry.expiresAt, now + ttlSeconds * 1000)
        let bytes = entry.approximateBytes + key.utf8.count
        let budget = shardBudget
        shard(for: key).mutex.withLock { shard in
            if let existing = shard.slots[key] {
                shard.bytes += bytes - existing.bytes
                shard.slots[key] = Slot(entry: entry, bytes: bytes, hits: existing.hits, lastUsed: now, position: existing.position)
            } else {
                shard.slots[key] = Slot(entry: entry, bytes: bytes, hits: 0, lastUsed: now, position: shard.keys.count)
                shard.keys.append(key)
                shard.bytes += bytes
            }
            while shard.bytes > budget, shard.keys.count > 1 {
                Self.evictOne(from: &shard, sparing: key, now: now)
            }
        }
    }

    /// Drops an entry (e.g. found stale).
    func remove(_ key: String) {
        shard(for: key).mutex.withLock { Self.remove(key, from: &$0) }
    }

    /// Drops every expired entry (a background sweep, so memory follows the TTL and not only the budget).
    @discardableResult
    func removeExpired(now: Int64) -> Int {
        var removed = 0
        for shard in shards {
            shard.mutex.withLock { shard in
                for key in shard.keys where (shard.slots[key]?.entry.expiresAt ?? .max) <= now {
                    Self.remove(key, from: &shard)
                    removed += 1
                }
            }
        }
        return removed
    }

    func removeAll() {
        for shard in shards { shard.mutex.withLock { $0 = Shard() } }
    }

    struct Statistics: Sendable {
        var entries: Int
        var bytes: Int
        var evictions: Int
    }

    var statistics: Statistics {
        shards.reduce(Statistics(entries: 0, bytes: 0, evictions: 0)) { total, shard in
            shard.mutex.withLock { Statistics(entries: total.entries + $0.slots.count, bytes: total.bytes + $0.bytes, evictions: total.evictions + $0.evictions) }
        }
    }

    /// Keys and entries ordered by hits, most first (for persisting the hottest set).
    func hottest(limit: Int) -> [(key: String, entry: CacheEntry, hits: UInt32)] {
        var all: [(key: String, entry: CacheEntry, hits: UInt32)] = []
        for shard in shards {
            shard.mutex.withLock { shard in all += shard.slots.map { ($0.key, $0.value.entry, $0.value.hits) } }
        }
        return Array(all.sorted { $0.hits > $1.hits }.prefix(limit))
    }

    private static func evictOne(from shard: inout Shard, sparing protected: String, now: Int64) {
        var victim: String?
        var lowest = Double.infinity
        for _ in 0..<sampleSize {
            let key = shard.keys[Int(shard.generator.next() % UInt64(shard.keys.count))]
            guard key != protected, let slot = shard.slots[key] else { continue }
            if slot.entry.expiresAt <= now {
                victim = key
                break
            }
            let score = Double(slot.entry.priority.rawValue) * 4 + log2(Double(slot.hits) + 1) - Double(now - slot.lastUsed) / 60_000
            if score < lowest {
                lowest = score
                victim = key
            }
        }
        guard let victim else { return }
        remove(victim, from: &shard)
        shard.evictions += 1
    }

    private static func remove(_ key: String, from shard: inout Shard) {
        guard let slot = shard.slots.removeValue(forKey: key) else { return }
        shard.bytes -= slot.bytes
        let last = shard.keys.removeLast()
        if slot.position < shard.keys.count {
            shard.keys[slot.position] = last
            shard.slots[last]?.position = slot.position
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
