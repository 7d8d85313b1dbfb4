#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Wall-clock milliseconds for the monitor: which rolling bucket a sample falls in, when an alert was raised,
/// when the overload breaker may half-open. Injectable so tests can move time instead of waiting for it.
public struct MonitorClock: Sendable {
    public let milliseconds: @Sendable () -> Int64

    public init(milliseconds: @escaping @Sendable () -> Int64) {
        self.milliseconds = milliseconds
    }

    /// The system's coarse real-time clock: a few nanoseconds to read, millisecond-grained, which is all 30-second
    /// buckets and 30-second breakers need.
    public static let system = MonitorClock {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }
}

/// A clock that moves only when told to, for tests of windows, alerts and breakers.
///
/// ```swift
/// let time = ManualClock()
/// let monitor = PerformanceMonitor(clock: time.clock)
/// time.advance(seconds: 300)
/// ```
public final class ManualClock: Sendable {
    private let now: Atomic<Int64>

    public init(milliseconds: Int64 = 1_700_000_000_000) {
        now = Atomic(milliseconds)
    }

    public var clock: MonitorClock { MonitorClock { self.now.load(ordering: .relaxed) } }

    public func advance(seconds: Double) {
        now.add(Int64(seconds * 1000), ordering: .relaxed)
    }
}
