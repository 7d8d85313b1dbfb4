import Synchronization

/// The cache hierarchy of SPEC section 3: L1 in memory, L2 and L3 in SQLite behind circuit breakers, every entry
/// validated against the `VersionClock` on read, so no layer ever serves an answer older than a completed write.
///
/// ```swift
/// if let hit = cache.lookup(key) { return hit }          // validated, promoted upward
/// let answer = compute()                                   // from a snapshot begun after `versions.revision` was read
/// cache.store(key, answer, dependencies: ..., computedAfter: revisionBefore)
/// ```
public final class DecisionCache: Sendable {
    public struct Configuration: Sendable {
        public var l1BudgetBytes = 300 * 1024 * 1024
        public var l1TTLSeconds: Int64 = 300
        public var l2TTLSeconds: Int64 = 900
        public var l3TTLSeconds: Int64 = 3600
        public var breakerOpenSeconds: Int64 = 30
        public var breakerFailureThreshold = 5
        /// A lower-layer read slower than this counts as a breaker failure.
        public var breakerSlowNanoseconds: Int64 = 50_000_000
        /// Cache a normal-priority answer the first time it is computed, rather than on its second sighting
        /// (see `Doorkeeper`); for tests that look at the layers themselves.
        public var admitOnFirstSighting = false

        public init() {}
    }

    public let configuration: Configuration
    public let versions: VersionClock
    public let l1: MemoryCache
    /// Nil when the cache runs in memory only.
    public let layers: SQLiteCacheLayers?
    public let l2Breaker: CircuitBreaker
    public let l3Breaker: CircuitBreaker
    let statistics: [CacheLayer: LayerStatistics]
    /// Second-sighting admission to L1 for normal-priority answers (see `Doorkeeper`).
    let doorkeeper = Doorkeeper()
    /// Answers not cached because they were seen for the first time.
    let notAdmitted = Atomic<Int>(0)
    /// Entries found but no longer valid (a dependency changed) — dropped, never served.
    let staleRejections = Atomic<Int>(0)
    /// Reads a lower layer failed with (the breaker counts them too).
    let layerErrors = Atomic<Int>(0)
    let clock: @Sendable () -> Int64

    public init(configuration: Configuration = Configuration(), versions: VersionClock, layers: SQLiteCacheLayers?,
                clock: @escaping @Sendable () -> Int64 = { Timestamp.nowMilliseconds() / 1000 }) {
        self.configuration = configuration
        self.versions = versions
        self.layers = layers
        self.clock = clock
        l1 = MemoryCache(budgetBytes: configuration.l1BudgetBytes, ttlSeconds: configuration.l1TTLSeconds)
        l2Breaker = CircuitBreaker(failureThreshold: configuration.breakerFailureThreshold, openSeconds: configuration.breakerOpenSeconds,
                                   slowThresholdNanoseconds: configuration.breakerSlowNanoseconds)
        l3Breaker = CircuitBreaker(failureThreshold: configuration.breakerFailureThreshold, openSeconds: configuration.breakerOpenSeconds,
                                   slowThresholdNanoseconds: configuration.breakerSlowNanoseconds)
        statistics = Dictionary(uniqueKeysWithValues: CacheLayer.allCases.map { ($0, LayerStatistics()) })
    }

    /// A valid entry for `key` and the layer it came from, promoting lower-layer hits upward; nil on a miss.
    public func lookup(_ key: String) -> (entry: CacheEntry, layer: CacheLayer)? {
        let now = clock()
        var start = monotonicNanoseconds()
        if let (entry, hits) = l1.getCounting(key, now: now) {
            if versions.isCurrent(entry.dependencies) {
                statistics[.l1]!.hit(nanoseconds: monotonicNanoseconds() - start)
                // Admission: an answer earns a place in L2/L3 by being reused once, so one-off answers
                // (a uniform workload) cost no SQLite writes.
                if hits == 1, let layers { Self.enqueueLower(layers, key, entry, configuration: configuration, now: now) }
                return (entry, .l1)
            }
            l1.remove(key)
            staleRejections.add(1, ordering: .relaxed)
        }
        statistics[.l1]!.miss(nanoseconds: monotonicNanoseconds() - start)
        guard let layers else { return nil }
        for (layer, breaker, cacheLayer) in [(SQLiteCacheLayers.Layer.l2, l2Breaker, CacheLayer.l2), (.l3, l3Breaker, .l3)] {
            guard breaker.allow(now: now) else { continue }
            start = monotonicNanoseconds()
            let found: CacheEntry?
            do {
                found = try layers.get(layer, key)
            } catch {
                breaker.record(success: false, nanoseconds: monotonicNanoseconds() - start, now: now)
                layerErrors.add(1, ordering: .relaxed)
                continue
            }
            let elapsed = monotonicNanoseconds() - start
            breaker.record(success: true, nanoseconds: elapsed, now: now)
            guard let entry = found, entry.expiresAt > now else {
                statistics[cacheLayer]!.miss(nanoseconds: elapsed)
                continue
            }
            guard versions.isCurrent(entry.dependencies) else {
                layers.enqueueDelete(layer, key)
                staleRejections.add(1, ordering: .relaxed)
                statistics[cacheLayer]!.miss(nanoseconds: elapsed)
                continue
            }
            statistics[cacheLayer]!.hit(nanoseconds: elapsed)
            // Promote: into L1 now, into L2 in the background for an L3 hit.
            l1.put(key, entry, now: now)
            if layer == .l3 { layers.enqueuePut(.l2, key, Self.capped(entry, ttl: configuration.l2TTLSeconds, now: now)) }
            return (entry, cacheLayer)
        }
        statistics[.miss]!.hit(nanoseconds: 0)
        return nil
    }

    /// Caches an answer computed from data read after `revisionBefore` (read from `versions.revision` before the
    /// snapshot began). It is stored only when none of its dependencies changed after that revision, so its recorded
    /// versions are never newer than the data it was computed from.
    @discardableResult
    public func store(_ key: String, payload: String, dependencies keys: [DependencyKey], computedAfter revisionBefore: Int64,
                      expiresAt: Int64? = nil, priority: CachePriority = .normal) -> Bool {
        // Identities and other high-priority answers are reused at once; decisions earn their place by recurring.
        if priority < .high && !configuration.admitOnFirstSighting && !doorkeeper.admit(key) {
            notAdmitted.add(1, ordering: .relaxed)
            return false
        }
        let allKeys = keys + [.epoch]
        let stamp = versions.stamp(allKeys)
        guard stamp.allSatisfy({ $0 <= revisionBefore }) else { return false }
        let now = clock()
        let dependencies = zip(allKeys, stamp).map { Dependency(key: $0, version: $1) }
        let entry = CacheEntry(payload: payload, dependencies: dependencies, expiresAt: expiresAt ?? Int64.max, priority: priority)
        l1.put(key, entry, now: now)
        return true
    }

    private static func enqueueLower(_ layers: SQLiteCacheLayers, _ key: String, _ entry: CacheEntry, configuration: Configuration, now: Int64) {
        layers.enqueuePut(.l2, key, capped(entry, ttl: configuration.l2TTLSeconds, now: now))
        layers.enqueuePut(.l3, key, capped(entry, ttl: configuration.l3TTLSeconds, now: now))
    }

    /// Loads the hottest L3 entries into L1 (at start, in the background); returns how many were loaded.
    @discardableResult
    public func warm(limit: Int) -> Int {
        guard let layers, let entries = try? layers.hottest(limit: limit, now: clock()) else { return 0 }
        let now = clock()
        var loaded = 0
        for (key, entry) in entries where versions.isCurrent(entry.dependencies) {
            l1.put(key, entry, now: now)
            loaded += 1
        }
        return loaded
    }

    /// Records L1's hottest entries with their hit counts in L3, so a restart warms with them.
    public func persistHotSet(limit: Int) {
        guard let layers else { return }
        let now = clock()
        for (key, entry, hits) in l1.hottest(limit: limit) where entry.expiresAt > now {
            layers.enqueuePut(.l3, key, Self.capped(entry, ttl: configuration.l3TTLSeconds, now: now), hits: Int64(hits))
        }
    }

    private static func capped(_ entry: CacheEntry, ttl: Int64, now: Int64) -> CacheEntry {
        var entry = entry
        entry.expiresAt = min(entry.expiresAt, now + ttl)
        return entry
    }

    // MARK: Report

    /// Per layer: hits, misses, hit rate, lookup latency, entries, bytes, evictions, breaker state.
    public struct LayerReport: Sendable, Codable, Equatable {
        public var layer: String
        public var hits: Int
        public var misses: Int
        public var hitRate: Double
        public var latency: LatencyHistogram.Summary
        public var entries: Int?
        public var bytes: Int?
        public var evictions: Int?
        public var breaker: String?

        enum CodingKeys: String, CodingKey {
            case layer, hits, misses, hitRate = "hit_rate", latency, entries, bytes, evictions, breaker
        }
    }

    public struct Report: Sendable, Codable, Equatable {
        public var layers: [LayerReport]
        /// Lookups answered by any layer over all lookups.
        public var overallHitRate: Double
        public var lookups: Int
        public var staleRejections: Int
        public var layerErrors: Int
        public var droppedWrites: Int
        public var trackedVersions: Int
        /// Answers seen once and therefore not cached (L1 admission).
        public var notAdmitted: Int

        enum CodingKeys: String, CodingKey {
            case layers, overallHitRate = "overall_hit_rate", lookups, staleRejections = "stale_rejections", layerErrors = "layer_errors"
            case droppedWrites = "dropped_writes", trackedVersions = "tracked_versions", notAdmitted = "not_admitted"
        }
    }

    public func report() -> Report {
        let memory = l1.statistics
        let counts = (try? layers?.counts()) ?? nil
        func layerReport(_ layer: CacheLayer, entries: Int?, bytes: Int?, evictions: Int?, breaker: CircuitBreaker?) -> LayerReport {
            let statistics = statistics[layer]!
            let hits = statistics.hits.load(ordering: .relaxed), misses = statistics.misses.load(ordering: .relaxed)
            return LayerReport(layer: layer.rawValue, hits: hits, misses: misses, hitRate: hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses),
                               latency: statistics.latency.summary, entries: entries, bytes: bytes, evictions: evictions,
                               breaker: breaker?.state.rawValue)
        }
        let l1Report = layerReport(.l1, entries: memory.entries, bytes: memory.bytes, evictions: memory.evictions, breaker: nil)
        let lookups = l1Report.hits + l1Report.misses
        let misses = statistics[.miss]!.hits.load(ordering: .relaxed)
        return Report(
            layers: [l1Report,
                     layerReport(.l2, entries: counts?.l2, bytes: nil, evictions: nil, breaker: layers == nil ? nil : l2Breaker),
                     layerReport(.l3, entries: counts?.l3, bytes: nil, evictions: nil, breaker: layers == nil ? nil : l3Breaker)],
            overallHitRate: lookups == 0 ? 0 : Double(lookups - misses) / Double(lookups), lookups: lookups,
            staleRejections: staleRejections.load(ordering: .relaxed), layerErrors: layerErrors.load(ordering: .relaxed),
            droppedWrites: layers?.droppedWrites ?? 0, trackedVersions: versions.count, notAdmitted: notAdmitted.load(ordering: .relaxed))
    }
}

/// Hit and miss counts and lookup latency of one layer.
final class LayerStatistics: Sendable {
    let hits = Atomic<Int>(0)
    let misses = Atomic<Int>(0)
    let latency = LatencyHistogram()

    func hit(nanoseconds: Int64) {
        hits.add(1, ordering: .relaxed)
        if nanoseconds > 0 { latency.record(nanoseconds: nanoseconds) }
    }

    func miss(nanoseconds: Int64) {
        misses.add(1, ordering: .relaxed)
        if nanoseconds > 0 { latency.record(nanoseconds: nanoseconds) }
    }
}
