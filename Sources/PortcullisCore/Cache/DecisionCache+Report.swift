import PortcullisModel
import PortcullisSQLite

/// What the cache reports about itself: per layer hits, misses, latency, size and breaker; overall figures.
extension DecisionCache {
    /// Per layer: hits, misses, hit rate, lookup latency, entries, bytes, evictions, breaker state.
    public struct LayerReport: Sendable, Codable, Equatable {
        /// `l1`, `l2` or `l3`.
        public var layer: String
        /// Lookups this layer answered with a valid entry.
        public var hits: Int
        /// Lookups that reached this layer and found nothing valid (absent, expired, or stale and dropped).
        public var misses: Int
        /// `hits / (hits + misses)`, 0...1; 0 before any lookup reached the layer.
        public var hitRate: Double
        /// Lookup latency in this layer (microseconds in the summary).
        public var latency: LatencyHistogram.Summary
        /// Entries held: in memory for L1, rows of the cache file for L2 and L3; nil when the count failed.
        public var entries: Int?
        /// L1's approximate bytes, counted against its budget; nil for L2 and L3.
        public var bytes: Int?
        /// Entries L1 evicted to stay within its budget; nil for L2 and L3.
        public var evictions: Int?
        /// `closed`, `open` or `half_open` for L2 and L3 when they exist; nil for L1.
        public var breaker: String?
        /// How many times the breaker opened.
        public var breakerTrips: Int?

        enum CodingKeys: String, CodingKey {
            case layer, hits, misses, hitRate = "hit_rate", latency, entries, bytes, evictions, breaker, breakerTrips = "breaker_trips"
        }
    }

    /// The cache's figures since start, as `GET /api/v1/performance/cache` shows them.
    public struct Report: Sendable, Codable, Equatable {
        /// `l1`, then `l2` and `l3` when the cache has its file.
        public var layers: [LayerReport]
        /// Lookups answered by any layer over all lookups.
        public var overallHitRate: Double
        /// Lookups, counted at L1 (its hits plus misses); a memory-only look that misses is counted by the full lookup after it.
        public var lookups: Int
        /// Entries found but dropped because a dependency's version had moved since they were stored.
        public var staleRejections: Int
        /// L2 and L3 reads that failed (each also counts against its breaker).
        public var layerErrors: Int
        /// L2/L3 writes dropped because the queue was full (50,000 pending); a dropped write costs a later miss.
        public var droppedWrites: Int
        /// Dependencies with a version in `VersionClock` (every entity a write has moved since the database began).
        public var trackedVersions: Int
        /// Answers seen once and therefore not cached (L1 admission).
        public var notAdmitted: Int

        enum CodingKeys: String, CodingKey {
            case layers, overallHitRate = "overall_hit_rate", lookups, staleRejections = "stale_rejections", layerErrors = "layer_errors"
            case droppedWrites = "dropped_writes", trackedVersions = "tracked_versions", notAdmitted = "not_admitted"
        }

        /// The report of one layer, if it exists.
        public func layer(_ layer: CacheLayer) -> LayerReport? { layers.first { $0.layer == layer.rawValue } }
    }

    /// The cache's figures now. L2 and L3 appear only when the cache has its SQLite file.
    public func report() -> Report {
        let memory = l1.statistics
        let counts = (try? layers?.counts()) ?? nil
        func layerReport(_ layer: CacheLayer, entries: Int?, bytes: Int?, evictions: Int?, breaker: CircuitBreaker?) -> LayerReport {
            let statistics = statistics[layer]!
            let hits = statistics.hits.load(ordering: .relaxed), misses = statistics.misses.load(ordering: .relaxed)
            return LayerReport(layer: layer.rawValue, hits: hits, misses: misses, hitRate: hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses),
                               latency: statistics.latency.summary, entries: entries, bytes: bytes, evictions: evictions,
                               breaker: breaker?.state.rawValue, breakerTrips: breaker?.trips)
        }
        let l1Report = layerReport(.l1, entries: memory.entries, bytes: memory.bytes, evictions: memory.evictions, breaker: nil)
        let lookups = l1Report.hits + l1Report.misses
        let misses = statistics[.miss]!.hits.load(ordering: .relaxed)
        var reports = [l1Report]
        if layers != nil {
            reports.append(layerReport(.l2, entries: counts?.l2, bytes: nil, evictions: nil, breaker: l2Breaker))
            reports.append(layerReport(.l3, entries: counts?.l3, bytes: nil, evictions: nil, breaker: l3Breaker))
        }
        return Report(
            layers: reports, overallHitRate: lookups == 0 ? 0 : Double(lookups - misses) / Double(lookups), lookups: lookups,
            staleRejections: staleRejections.load(ordering: .relaxed), layerErrors: layerErrors.load(ordering: .relaxed),
            droppedWrites: layers?.droppedWrites ?? 0, trackedVersions: versions.count, notAdmitted: notAdmitted.load(ordering: .relaxed))
    }
}
