import PortcullisModel
import PortcullisStore
import Logging
import ServiceLifecycle

/// Records time-bound memberships starting and expiring in the change log (SPEC 8.3), once at start and then every
/// `interval` (a second by default): a bound is recorded at most `interval` plus one write after it passes, and a
/// bound that passed while the server was stopped is recorded at the next start. Decisions do not depend on it.
///
/// ```swift
/// services.append(TimeBoundSweep(store: store, clock: .system, logger: logger))
/// ```
public struct TimeBoundSweep: Service {
    let store: any TimeBoundStore
    let clock: WallClock
    let interval: Duration
    let logger: Logger

    /// Sweeps `store` at start and then every `interval`.
    public init(store: any TimeBoundStore, clock: WallClock, interval: Duration = .seconds(1), logger: Logger) {
        self.store = store
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    /// One sweep up to now, recorded as the `system` actor `time_bounds`; the revision it wrote, or nil when no bound passed.
    @discardableResult
    public func sweep() async throws -> Int64? {
        try await WriteAttribution.$current.withValue(WriteAttribution(actor: .system("time_bounds"))) {
            try await store.recordPassedBounds(until: clock.milliseconds())
        }
    }

    /// Sweeps until graceful shutdown; a failed sweep is logged and retried at the next interval (nothing is lost: the
    /// next sweep covers everything since the last one that succeeded).
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await sweep()
            } catch {
                logger.warning("time bound sweep failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
