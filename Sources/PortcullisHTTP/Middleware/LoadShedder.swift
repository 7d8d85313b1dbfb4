import PortcullisCore
import Synchronization

/// Priority load shedding (SPEC section 5): when more than `maxInFlight` requests are in progress the server is
/// behind, so `normal` traffic is answered 503 and an overload breaker opens; while it is open, `normal` and
/// `background` traffic are shed. `background` also yields early, above half the limit. `ultra_fast`,
/// `critical_auth` and `fast` are always admitted. After `openSeconds` without new overload the breaker half-opens
/// and admits one probe; the probe closes it when the load has fallen to half the limit, and reopens it otherwise.
///
/// The admitted path costs two relaxed atomic operations on the in-flight count and one load of the breaker.
public final class LoadShedder: Sendable {
    public enum State: String, Sendable { case closed, open, halfOpen = "half_open" }

    public enum Verdict: Equatable, Sendable {
        case admit
        /// Admitted as the half-open probe: `finish(probe: true)` decides whether the breaker closes.
        case probe
        case shed(retryAfterSeconds: Int)
    }

    public let maxInFlight: Int
    public let openMilliseconds: Int64
    let clock: WallClock
    private let inFlight = Atomic<Int>(0)
    /// Clock milliseconds of the latest overload; 0 while the breaker is closed.
    private let overloadedAt = Atomic<Int64>(0)
    private let probing = Atomic<Bool>(false)
    private let trips = Atomic<Int>(0)
    private let shedNormal = Atomic<Int>(0)
    private let shedBackground = Atomic<Int>(0)
    private let peakInFlight = Atomic<Int>(0)

    public init(maxInFlight: Int, openSeconds: Int, clock: WallClock = .system) {
        self.maxInFlight = maxInFlight
        openMilliseconds = Int64(openSeconds) * 1000
        self.clock = clock
    }

    /// Admits or sheds a request of `routeClass`; every admitted request must call `finish` once.
    @inline(__always)
    public func admit(_ routeClass: RouteClass) -> Verdict {
        let count = inFlight.wrappingAdd(1, ordering: .relaxed).newValue
        if count > maxInFlight { tripped() }
        if count > peakInFlight.load(ordering: .relaxed) { peakInFlight.store(count, ordering: .relaxed) }
        switch routeClass {
        case .ultraFast, .criticalAuth, .fast:
            return .admit
        case .normal, .background:
            let limit = routeClass == .background ? maxInFlight / 2 : maxInFlight
            if count > limit { return shed(routeClass, retryAfter: Int(openMilliseconds / 1000)) }
            let openedAt = overloadedAt.load(ordering: .relaxed)
            guard openedAt != 0 else { return .admit }
            let remaining = openedAt + openMilliseconds - clock.milliseconds()
            if remaining > 0 { return shed(routeClass, retryAfter: Int((remaining + 999) / 1000)) }
            // Half-open: one probe at a time.
            guard probing.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else {
                return shed(routeClass, retryAfter: 1)
            }
            return .probe
        }
    }

    @inline(__always)
    public func finish(probe: Bool = false) {
        let remaining = inFlight.wrappingSubtract(1, ordering: .relaxed).newValue
        guard probe else { return }
        if remaining <= maxInFlight / 2 {
            overloadedAt.store(0, ordering: .relaxed)
        } else {
            overloadedAt.store(clock.milliseconds(), ordering: .relaxed)
        }
        probing.store(false, ordering: .relaxed)
    }

    private func shed(_ routeClass: RouteClass, retryAfter: Int) -> Verdict {
        inFlight.wrappingSubtract(1, ordering: .relaxed)
        if routeClass == .background {
            shedBackground.wrappingAdd(1, ordering: .relaxed)
        } else {
            shedNormal.wrappingAdd(1, ordering: .relaxed)
        }
        return .shed(retryAfterSeconds: max(1, retryAfter))
    }

    /// Opens the breaker, or keeps it open for another `openSeconds` from now.
    private func tripped() {
        let now = clock.milliseconds()
        if overloadedAt.exchange(now, ordering: .relaxed) == 0 { trips.wrappingAdd(1, ordering: .relaxed) }
    }

    public var state: State {
        let openedAt = overloadedAt.load(ordering: .relaxed)
        if openedAt == 0 { return .closed }
        return clock.milliseconds() - openedAt < openMilliseconds ? .open : .halfOpen
    }

    public struct Report: Sendable, Codable, Equatable {
        public var state: String
        public var inFlight: Int
        public var peakInFlight: Int
        public var maxInFlight: Int
        public var openSeconds: Int
        public var trips: Int
        public var shed: [String: Int]

        enum CodingKeys: String, CodingKey {
            case state, inFlight = "in_flight", peakInFlight = "peak_in_flight", maxInFlight = "max_in_flight", openSeconds = "open_seconds", trips
            case shed
        }
    }

    public var report: Report {
        Report(state: state.rawValue, inFlight: inFlight.load(ordering: .relaxed), peakInFlight: peakInFlight.load(ordering: .relaxed),
               maxInFlight: maxInFlight, openSeconds: Int(openMilliseconds / 1000), trips: trips.load(ordering: .relaxed),
               shed: ["normal": shedNormal.load(ordering: .relaxed), "background": shedBackground.load(ordering: .relaxed)])
    }
}
