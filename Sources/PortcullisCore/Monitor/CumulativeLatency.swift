/// Latencies since start in fixed buckets, the shape of a Prometheus histogram: unlike the rolling window's
/// percentiles, bucket counts from several nodes add up, and `histogram_quantile` reads any percentile off them.
///
/// ```swift
/// let totals = monitor.cumulative(.authorization)
/// let underOneMillisecond = totals.cumulativeCounts[CumulativeLatency.upperBoundsNanoseconds.firstIndex(of: 1_000_000)!]
/// ```
public struct CumulativeLatency: Sendable, Equatable {
    /// The buckets' upper bounds, in nanoseconds: 10 µs to 10 s in 1-2.5-5 steps. A decision answered from the cache
    /// takes microseconds, an evaluated one well under a millisecond, a sign-in (PBKDF2) tens to hundreds of
    /// milliseconds, an import seconds; a sample above 10 s is counted in the overflow bucket (`+Inf`) only.
    public static let upperBoundsNanoseconds: [Int64] = [
        10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000, 100_000_000, 250_000_000, 500_000_000,
        1_000_000_000, 2_500_000_000, 5_000_000_000, 10_000_000_000,
    ]

    /// Samples per bucket, **not** cumulative: `counts[i]` holds samples in (bound[i-1], bound[i]]; the last entry,
    /// one past `upperBoundsNanoseconds`, holds the samples above the last bound.
    public internal(set) var counts: [UInt64]
    /// The sum of every sample, in nanoseconds.
    public internal(set) var sumNanoseconds: UInt64

    /// No samples.
    public init() {
        counts = Array(repeating: 0, count: Self.upperBoundsNanoseconds.count + 1)
        sumNanoseconds = 0
    }

    /// Samples recorded since start.
    public var count: UInt64 { counts.reduce(0, +) }

    /// Samples at or below each bound, then the total (Prometheus' `le` series, `+Inf` last).
    public var cumulativeCounts: [UInt64] {
        var running: UInt64 = 0
        return counts.map { count in
            running += count
            return running
        }
    }

    /// Counts one sample of `nanoseconds` (at least 0).
    @inline(__always)
    mutating func record(nanoseconds: Int64) {
        // Linear from the smallest bound: most samples are microseconds and stop after a comparison or two.
        var index = 0
        let bounds = Self.upperBoundsNanoseconds
        while index < bounds.count && nanoseconds > bounds[index] { index += 1 }
        counts[index] &+= 1
        sumNanoseconds &+= UInt64(max(0, nanoseconds))
    }
}
