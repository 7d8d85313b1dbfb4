#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// What time it is, in Unix milliseconds: the one clock that everything depending on the time of day reads — cache
/// expiry, token and key lifetimes, throttling windows, the monitor's buckets, alerts and breakers, time-bound
/// grants. Injectable, so tests move time instead of waiting for it. Durations are measured with
/// `monotonicNanoseconds()` instead, which no one can move.
///
/// ```swift
/// let clock = WallClock.system
/// let expiresAt = clock.milliseconds() + 300_000
/// ```
public struct WallClock: Sendable {
    /// Unix time in milliseconds.
    public let milliseconds: @Sendable () -> Int64

    /// A clock reading `milliseconds` (Unix time in milliseconds); tests usually take `ManualClock.clock` instead.
    public init(milliseconds: @escaping @Sendable () -> Int64) {
        self.milliseconds = milliseconds
    }

    /// Unix time in whole seconds.
    public func seconds() -> Int64 { milliseconds() / 1000 }

    /// Now as an RFC 3339 UTC timestamp with milliseconds, as stored and returned.
    public func timestamp() -> String { Timestamp.format(epochMilliseconds: milliseconds()) }

    /// The system's real-time clock (`CLOCK_REALTIME`, read through the vDSO in a few tens of nanoseconds).
    public static let system = WallClock {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }
}

/// A clock that moves only when told to, for tests of windows, alerts, breakers, expiry and time bounds.
///
/// ```swift
/// let time = ManualClock()
/// let monitor = PerformanceMonitor(clock: time.clock, routeClassNames: ["check"])
/// time.advance(seconds: 300)
/// ```
public final class ManualClock: Sendable {
    private let now: Atomic<Int64>

    /// A clock stopped at `milliseconds` (Unix time; the default is 2023-11-14T22:13:20Z).
    public init(milliseconds: Int64 = 1_700_000_000_000) {
        now = Atomic(milliseconds)
    }

    /// A `WallClock` reading this one.
    public var clock: WallClock { WallClock { self.now.load(ordering: .relaxed) } }

    /// The current time, in Unix milliseconds.
    public var milliseconds: Int64 { now.load(ordering: .relaxed) }

    /// Moves the time forward by `seconds` (rounded to the millisecond; negative moves it back).
    public func advance(seconds: Double) {
        now.add(Int64((seconds * 1000).rounded()), ordering: .relaxed)
    }

    /// Moves the time forward by `milliseconds` (negative moves it back).
    public func advance(milliseconds: Int64) {
        now.add(milliseconds, ordering: .relaxed)
    }

    /// Sets the time to `milliseconds`, Unix time.
    public func set(milliseconds: Int64) {
        now.store(milliseconds, ordering: .relaxed)
    }
}

/// Monotonic nanoseconds, for timing short operations (never for the time of day).
@inline(__always)
public func monotonicNanoseconds() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
}
