import Testing

@testable import PortcullisCore
@testable import PortcullisCache
@testable import PortcullisStore

@Suite("L1 memory cache: budget, eviction, TTL")
struct MemoryCacheTests {
    static func entry(_ payload: String, priority: CachePriority = .normal) -> CacheEntry {
        CacheEntry(payload: payload, dependencies: [Dependency(key: .user("u"), version: 0)], expiresAt: .max, priority: priority)
    }

    @Test("stays within a small byte budget by evicting, and frequently used entries survive")
    func eviction() {
        let cache = MemoryCache(budgetBytes: 64 * 1024, ttlSeconds: 300, shardCount: 4)
        let hot = (0..<20).map { "hot-\($0)" }
        for key in hot { cache.put(key, Self.entry(key), now: 0) }
        for index in 0..<5_000 {
            for key in hot where index % 50 == 0 { _ = cache.get(key, now: Int64(index / 100)) }
            cache.put("cold-\(index)", Self.entry("cold-\(index)"), now: Int64(index / 100))
        }
        let statistics = cache.statistics
        #expect(statistics.bytes <= 64 * 1024)
        #expect(statistics.evictions > 4_000)
        let survivingHot = hot.filter { cache.get($0, now: 50) != nil }.count
        let survivingCold = (0..<5_000).filter { cache.get("cold-\($0)", now: 50) != nil }.count
        #expect(Double(survivingHot) / Double(hot.count) > 3 * Double(survivingCold) / 5_000, "hot \(survivingHot)/20, cold \(survivingCold)/5000")
    }

    @Test("entries expire after the TTL, to the millisecond")
    func ttl() {
        let cache = MemoryCache(budgetBytes: 1 << 20, ttlSeconds: 300)
        cache.put("k", Self.entry("v"), now: 1_000_000)
        #expect(cache.get("k", now: 1_299_999) != nil)
        #expect(cache.get("k", now: 1_300_000) == nil)
        #expect(cache.statistics.entries == 0)
    }

    @Test("a sweep drops every expired entry and keeps the live ones")
    func sweep() {
        let cache = MemoryCache(budgetBytes: 1 << 20, ttlSeconds: 300)
        for index in 0..<100 { cache.put("old-\(index)", Self.entry("x"), now: 1_000_000) }
        for index in 0..<10 { cache.put("new-\(index)", Self.entry("y"), now: 1_200_000) }
        #expect(cache.removeExpired(now: 1_300_000) == 100)
        #expect(cache.statistics.entries == 10)
        #expect(cache.get("new-3", now: 1_300_000) != nil)
    }
}
