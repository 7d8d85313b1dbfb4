import PortcullisModel
import PortcullisSQLite

/// Synthetic timings of the layers themselves, for `GET /api/v1/performance/test`: a private key is written into
/// each layer, read `iterations` times, and removed, so the live entries and figures are not disturbed.
extension DecisionCache {
    /// The durations of reading one present entry from a layer, in nanoseconds, one per iteration.
    public struct LayerTiming: Sendable {
        /// The layer timed.
        public var layer: CacheLayer
        /// One read's duration per iteration, in nanoseconds, in order.
        public var nanoseconds: [Int64]
    }

    /// Times `iterations` reads of one probe entry in L1, then (when the cache has its file) in L2 and L3.
    ///
    /// The L2/L3 reads go straight to SQLite, bypassing the breakers and validation. Writing the probe flushes the
    /// write queue, so queued live entries are committed at that moment too.
    public func timeLayers(iterations: Int) throws -> [LayerTiming] {
        let key = "perf-test\u{1F}" + Identifier.generate(prefix: "probe")
        let entry = CacheEntry(payload: "probe", dependencies: [], expiresAt: Int64.max, priority: .low)
        let now = clock.milliseconds()
        func time(_ layer: CacheLayer, _ read: () throws -> Void) rethrows -> LayerTiming {
            var samples: [Int64] = []
            samples.reserveCapacity(iterations)
            for _ in 0..<iterations {
                let start = monotonicNanoseconds()
                try read()
                samples.append(monotonicNanoseconds() - start)
            }
            return LayerTiming(layer: layer, nanoseconds: samples)
        }
        l1.put(key, entry, now: now)
        defer { l1.remove(key) }
        var timings = [time(.l1) { _ = l1.get(key, now: now) }]
        if let layers {
            // A present entry, so the read reaches SQLite rather than stopping at the presence filter.
            layers.enqueuePut(.l2, key, entry)
            layers.enqueuePut(.l3, key, entry)
            try layers.flush()
            defer {
                layers.enqueueDelete(.l2, key)
                layers.enqueueDelete(.l3, key)
                _ = try? layers.flush()
            }
            timings.append(try time(.l2) { _ = try layers.get(.l2, key) })
            timings.append(try time(.l3) { _ = try layers.get(.l3, key) })
        }
        return timings
    }
}
