import Foundation
import HTTPTypes
import Hummingbird
import PortcullisCore

/// `GET /api/v1/performance/test`: a synthetic timing of each component, without disturbing the live figures.
extension PerformanceRoutes {
    struct Timing: Encodable {
        var component: String
        var iterations: Int
        var p50Microseconds: Double
        var p99Microseconds: Double
        var meanMicroseconds: Double
        var detail: String
        enum CodingKeys: String, CodingKey {
            case component, iterations, p50Microseconds = "p50_us", p99Microseconds = "p99_us", meanMicroseconds = "mean_us", detail
        }
    }

    /// Times each component for real: the L1 memory cache, the L2 and L3 SQLite layers, a database read, and a full
    /// check both evaluated and cached. It uses private cache keys and a private in-memory cache for the cached check,
    /// so the live figures are not disturbed.
    func syntheticTest() async throws -> [String: [Timing]] {
        let iterations = 200
        var timings: [Timing] = []
        func time(_ component: String, _ detail: String, _ body: () throws -> Void) rethrows {
            var samples: [Int64] = []
            samples.reserveCapacity(iterations)
            for _ in 0..<iterations {
                let start = monotonicNanoseconds()
                try body()
                samples.append(monotonicNanoseconds() - start)
            }
            timings.append(Self.timing(component, detail, samples))
        }
        if let cache = instruments.cache {
            let descriptions: [CacheLayer: String] = [
                .l1: "a memory-cache read of a present entry", .l2: "a SQLite read of a present entry in the session-cache layer",
                .l3: "a SQLite read of a present entry in the persistent layer",
            ]
            for timing in try cache.timeLayers(iterations: iterations) {
                timings.append(Self.timing("cache_" + timing.layer.rawValue, descriptions[timing.layer] ?? "", timing.nanoseconds))
            }
        }
        try time("database_query", "one read transaction on the decision path (the data revision)") {
            _ = try instruments.store.withSnapshot { snapshot in try snapshot.revision() }
        }
        let sample = try await sampleCheck()
        let uncached = AuthorizationEngine(store: instruments.store)
        try time("full_check_evaluated", "a decision evaluated from a snapshot (\(sample.resourceId))") { _ = try uncached.check(sample) }
        let cached = AuthorizationEngine(store: instruments.store, cache: instruments.cache?.scratch())
        _ = try cached.check(sample)
        try time("full_check_cached", "the same decision answered from a warm L1") { _ = try cached.check(sample) }
        return ["timings": timings]
    }

    static func timing(_ component: String, _ detail: String, _ samples: [Int64]) -> Timing {
        let samples = samples.sorted()
        func us(_ value: Int64) -> Double { (Double(value) / 10).rounded() / 100 }
        return Timing(component: component, iterations: samples.count, p50Microseconds: us(samples[samples.count / 2]),
                      p99Microseconds: us(samples[samples.count * 99 / 100]),
                      meanMicroseconds: us(samples.reduce(0, +) / Int64(samples.count)), detail: detail)
    }

    /// A real question to time: the first generation and its owner, or an absent one on an empty database.
    func sampleCheck() async throws -> CheckRequest {
        let page = try await instruments.store.generations(PageRequest(cursor: nil, limit: 1))
        let generation = page.items.first
        return CheckRequest(userId: generation?.ownerId ?? "perf-test-user", action: .read, resourceType: .generation,
                            resourceId: generation?.id ?? "perf-test-generation")
    }
}
