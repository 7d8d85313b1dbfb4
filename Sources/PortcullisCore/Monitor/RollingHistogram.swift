import PortcullisModel
import PortcullisSQLite
import PortcullisCache
import PortcullisStore
import Histogram
import Synchronization

/// Latencies over a rolling window: a ring of HdrHistograms, one per `bucketSeconds` of wall time, each cleared when
/// the clock comes round to it again. Recording costs one lock and one histogram increment; reading merges the
/// buckets still inside the window.
///
/// The ring holds one bucket more than the window: the window's figures include the bucket being filled, while
/// "sustained" judgements look at `windowBuckets` completed buckets, so a rule that must hold for five minutes
/// does not flap each time a fresh, empty bucket begins.
///
/// Under the same lock it also counts every sample since start in the fixed buckets of `CumulativeLatency`, the
/// Prometheus histogram of the series: one more comparison or two and one increment, no second lock.
public final class RollingHistogram: Sendable {
    /// One bucket's width, in seconds.
    public let bucketSeconds: Int64
    /// Buckets per window.
    public let windowBuckets: Int
    private let state: Mutex<State>

    struct State {
        var histograms: [Histogram<UInt64>]
        /// The bucket number (time / width) each slot holds; -1 when never used.
        var epochs: [Int64]
        /// Every sample since start, never reset.
        var totals = CumulativeLatency()
    }

    /// - Parameters:
    ///   - bucketSeconds: width of one bucket (default 30 s).
    ///   - windowBuckets: buckets in the window (default 10: five minutes).
    public init(bucketSeconds: Int64 = 30, windowBuckets: Int = 10) {
        self.bucketSeconds = bucketSeconds
        self.windowBuckets = windowBuckets
        let empty = Self.makeHistogram()
        state = Mutex(State(histograms: Array(repeating: empty, count: windowBuckets + 1), epochs: Array(repeating: -1, count: windowBuckets + 1)))
    }

    /// Nanoseconds from 1 ns to 60 s at two significant digits (1 % precision) keep each bucket near 30 KB.
    static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .two)
    }

    /// Records a duration in **nanoseconds** (clamped to 1 ns...60 s) in the bucket of `now`, Unix **milliseconds**.
    @inline(__always)
    public func record(nanoseconds: Int64, now milliseconds: Int64) {
        let epoch = milliseconds / 1000 / bucketSeconds
        let value = UInt64(max(1, min(nanoseconds, 60_000_000_000)))
        state.withLock { state in
            let slot = Int(epoch % Int64(state.epochs.count))
            if state.epochs[slot] != epoch {
                state.histograms[slot].reset()
                state.epochs[slot] = epoch
            }
            _ = state.histograms[slot].record(value)
            state.totals.record(nanoseconds: Int64(value))
        }
    }

    /// Every sample since start, in the fixed buckets of a Prometheus histogram.
    public func cumulative() -> CumulativeLatency {
        state.withLock { $0.totals }
    }

    /// Figures of the window ending at `now`. `since` (when recording began) bounds the seconds a rate is taken over.
    public func window(now milliseconds: Int64, since startedAt: Int64) -> LatencyWindow {
        let current = milliseconds / 1000 / bucketSeconds
        let histograms = state.withLock { state in
            // Empty buckets are skipped: merging one still walks its ~30 KB of counts, and most series are idle.
            state.epochs.indices.compactMap { slot in
                state.epochs[slot] > current - Int64(windowBuckets) && state.epochs[slot] <= current && state.histograms[slot].totalCount > 0
                    ? state.histograms[slot] : nil
            }
        }
        var merged = Self.makeHistogram()
        for histogram in histograms { merged.add(histogram) }
        let covered = max(1, min(Double(bucketSeconds) * Double(windowBuckets), Double(milliseconds - startedAt) / 1000))
        return LatencyWindow(merged, seconds: covered, windowSeconds: Int(bucketSeconds) * windowBuckets)
    }

    /// The `windowBuckets` completed buckets before the current one, oldest first; a bucket that saw nothing has count 0.
    public func completedBuckets(now milliseconds: Int64) -> [LatencyWindow] {
        let current = milliseconds / 1000 / bucketSeconds
        let byEpoch = state.withLock { state in
            Dictionary(state.epochs.indices.filter { state.epochs[$0] >= 0 }.map { (state.epochs[$0], state.histograms[$0]) },
                       uniquingKeysWith: { first, _ in first })
        }
        return (1...windowBuckets).reversed().map { back in
            LatencyWindow(byEpoch[current - Int64(back)] ?? Self.makeHistogram(), seconds: Double(bucketSeconds), windowSeconds: Int(bucketSeconds))
        }
    }
}

/// Percentiles and rate of one series over a window, in milliseconds.
public struct LatencyWindow: Sendable, Codable, Equatable {
    /// Samples in the window.
    public var count: UInt64
    /// Samples per second over the part of the window the process has been up.
    public var perSecond: Double
    /// Median, in milliseconds (three decimals); 0 without samples.
    public var p50Milliseconds: Double
    /// 95th percentile, in milliseconds.
    public var p95Milliseconds: Double
    /// 99th percentile, in milliseconds.
    public var p99Milliseconds: Double
    /// Longest sample, in milliseconds.
    public var maxMilliseconds: Double
    /// The window the figures cover, in seconds (a bucket's width for one completed bucket).
    public var windowSeconds: Int

    enum CodingKeys: String, CodingKey {
        case count, perSecond = "per_second", p50Milliseconds = "p50_ms", p95Milliseconds = "p95_ms", p99Milliseconds = "p99_ms"
        case maxMilliseconds = "max_ms", windowSeconds = "window_seconds"
    }

    init(_ histogram: Histogram<UInt64>, seconds: Double, windowSeconds: Int) {
        func ms(_ nanoseconds: UInt64) -> Double { (Double(nanoseconds) / 1000).rounded() / 1000 }
        count = histogram.totalCount
        perSecond = (Double(histogram.totalCount) / seconds * 100).rounded() / 100
        let empty = histogram.totalCount == 0
        p50Milliseconds = empty ? 0 : ms(histogram.valueAtPercentile(50))
        p95Milliseconds = empty ? 0 : ms(histogram.valueAtPercentile(95))
        p99Milliseconds = empty ? 0 : ms(histogram.valueAtPercentile(99))
        maxMilliseconds = empty ? 0 : ms(histogram.max)
        self.windowSeconds = windowSeconds
    }
}
