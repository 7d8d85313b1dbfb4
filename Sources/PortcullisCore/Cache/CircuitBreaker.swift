import PortcullisModel
import PortcullisSQLite
import Synchronization

/// Protects the request path from a failing or slow cache layer: after `failureThreshold` consecutive failures
/// (errors, or calls slower than `slowThresholdNanoseconds`) it opens and the layer is skipped; after `openSeconds`
/// it lets one call through (half-open) and closes again if that call succeeds.
final class CircuitBreaker: Sendable {
    /// Where the breaker stands, as reports show it (`closed`, `open`, `half_open`).
    public enum State: String, Sendable {
        /// `closed`: calls go through; `open`: the layer is skipped until `openSeconds` have passed.
        case closed, open
        /// One probe call is let through; its success closes the breaker, its failure opens it again.
        case halfOpen = "half_open"
    }

    struct Status {
        var state: State = .closed
        var consecutiveFailures = 0
        var openedAt: Int64 = 0
        var trips = 0
        var probing = false
    }

    /// Consecutive failures that open a closed breaker.
    public let failureThreshold: Int
    /// Seconds an open breaker waits before letting a probe through; `now` in `allow(now:)` is in seconds too.
    public let openSeconds: Int64
    /// A call slower than this, in nanoseconds, counts as a failure even when it succeeded.
    public let slowThresholdNanoseconds: Int64
    private let status = Mutex(Status())

    /// A closed breaker: 5 consecutive failures (or calls slower than 50 ms) open it for 30 s by default.
    public init(failureThreshold: Int = 5, openSeconds: Int64 = 30, slowThresholdNanoseconds: Int64 = 50_000_000) {
        self.failureThreshold = failureThreshold
        self.openSeconds = openSeconds
        self.slowThresholdNanoseconds = slowThresholdNanoseconds
    }

    /// Whether a call may go through now. An open breaker becomes half-open after `openSeconds` and admits one probe.
    public func allow(now: Int64) -> Bool {
        status.withLock { status in
            switch status.state {
            case .closed: return true
            case .open:
                guard now - status.openedAt >= openSeconds else { return false }
                status.state = .halfOpen
                status.probing = true
                return true
            case .halfOpen:
                guard !status.probing else { return false }
                status.probing = true
                return true
            }
        }
    }

    /// Reports a call's outcome; a slow success counts as a failure.
    public func record(success: Bool, nanoseconds: Int64, now: Int64) {
        let failed = !success || nanoseconds > slowThresholdNanoseconds
        status.withLock { status in
            status.probing = false
            if failed {
                status.consecutiveFailures += 1
                if status.state == .halfOpen || status.consecutiveFailures >= failureThreshold {
                    if status.state != .open { status.trips += 1 }
                    status.state = .open
                    status.openedAt = now
                }
            } else {
                status.consecutiveFailures = 0
                status.state = .closed
            }
        }
    }

    /// The state now (an open breaker reads `open` until a call asks `allow(now:)` after `openSeconds`).
    public var state: State { status.withLock { $0.state } }
    /// How many times the breaker has opened from closed or half-open.
    public var trips: Int { status.withLock { $0.trips } }
}
