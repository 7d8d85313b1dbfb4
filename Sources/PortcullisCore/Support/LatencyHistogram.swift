import Histogram
import Synchronization

/// A thread-safe latency histogram (HdrHistogram, 3 significant digits) in nanoseconds.
public final class LatencyHistogram: Sendable {
    private let histogram = Mutex(Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three))

    /// An empty histogram tracking 1 ns to 60 s.
    public init() {}

    /// Records one duration, in nanoseconds; values are clamped to 1 ns...60 s.
    public func record(nanoseconds: Int64) {
        histogram.withLock { _ = $0.record(UInt64(max(1, min(nanoseconds, 60_000_000_000)))) }
    }

    /// The histogram's figures in microseconds (two decimals), as the reports show them (`p50_us`, …).
    public struct Summary: Sendable, Equatable, Codable {
        /// Durations recorded.
        public var count: UInt64
        /// The median, in microseconds.
        public var p50Microseconds: Double
        /// The 95th percentile, in microseconds.
        public var p95Microseconds: Double
        /// The 99th percentile, in microseconds.
        public var p99Microseconds: Double
        /// The longest duration recorded, in microseconds.
        public var maxMicroseconds: Double

        enum CodingKeys: String, CodingKey {
            case count, p50Microseconds = "p50_us", p95Microseconds = "p95_us", p99Microseconds = "p99_us", maxMicroseconds = "max_us"
        }
    }

    /// The figures now, all zero when nothing was recorded.
    public var summary: Summary {
        histogram.withLock { histogram in
            guard histogram.totalCount > 0 else { return Summary(count: 0, p50Microseconds: 0, p95Microseconds: 0, p99Microseconds: 0, maxMicroseconds: 0) }
            func us(_ value: UInt64) -> Double { (Double(value) / 10).rounded() / 100 }
            return Summary(count: histogram.totalCount, p50Microseconds: us(histogram.valueAtPercentile(50)),
                           p95Microseconds: us(histogram.valueAtPercentile(95)), p99Microseconds: us(histogram.valueAtPercentile(99)),
                           maxMicroseconds: us(histogram.max))
        }
    }

    /// Forgets every recorded duration.
    public func reset() {
        histogram.withLock { $0.reset() }
    }
}
