import PortcullisModel
import PortcullisSQLite
import Synchronization

/// Protects the request path from a failing or slow cache layer: after `failureThreshold` consecutive failures
/// (errors, or calls slower than `slowThresholdNanoseconds`) it opens and the layer is skipped; after `openSeconds`
/// it lets one call through (half-open) and closes again if that call succeeds.
final class CircuitBreaker: Sendable {
    public enum State: String, Sendable {
        case closed, open
        case halfOpen = "half_open"
    }

    struct Status {
        var state: State = .closed
        var consecutiveFailures = 0
        var openedAt: Int64 = 0
        var trips = 0
        var probing = false
    }

    public let failureThreshold: Int
    public let openSeconds: Int64
    public let slowThresholdNanoseconds: Int64
    private let status = Mutex(Status())

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

    public var state: State { status.withLock { $0.state } }
    public var trips: Int { status.withLock { $0.trips } }
}
