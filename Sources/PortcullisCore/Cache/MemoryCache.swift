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

    private func shard(for key: String) -> ShardLock {
        var hasher = Hasher()
        hasher.combine(key)
        return shards[Int(UInt(bitPattern: hasher.finalize()) % UInt(shards.count))]
    }

    /// The entry if present and not expired (validation against versions is the caller's).
    func get(_ key: String, now: Int64) -> CacheEntry? {
        getCounting(key, now: now)?.entry
    }

    /// The entry and how many times it has now been hit (1 on its first reuse).
    func getCounting(_ key: String, now: Int64) -> (entry: CacheEntry, hits: UInt32)? {
        shard(for: key).mutex.withLock { shard in
            guard var slot = shard.slots[key] else { return nil }
            guard slot.entry.expiresAt > now else {
                Self.remove(key, from: &shard)
                return nil
            }
            slot.hits &+= 1
            slot.lastUsed = now
            shard.slots[key] = slot
            return (slot.entry, slot.hits)
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
