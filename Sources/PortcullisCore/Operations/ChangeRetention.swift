import PortcullisModel
import PortcullisStore
import Logging
import ServiceLifecycle

/// `audit.retention_days` (SPEC 8.2): removes changes recorded more than the retention period ago, moving the
/// change log's horizon (a `since` below it is then 410 `changes_expired`).
///
/// ```swift
/// services.append(ChangeRetention(changes: store, days: 90, clock: .system, logger: logger))
/// ```
public struct ChangeRetention: Service {
    let changes: any ChangeStore
    let days: Int
    let clock: WallClock
    let interval: Duration
    let logger: Logger

    /// Sweeps `changes` at start and then every `interval` (an hour by default), keeping `days` days.
    public init(changes: any ChangeStore, days: Int, clock: WallClock, interval: Duration = .seconds(3600), logger: Logger) {
        self.changes = changes
        self.days = days
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    /// The instant before which changes go: now minus the retention period (RFC 3339 UTC, comparable as text).
    public var cutoff: String {
        Timestamp.format(epochMilliseconds: clock.milliseconds() - Int64(days) * 86_400_000)
    }

    /// One sweep; returns how many changes went.
    @discardableResult
    public func sweep() async throws -> Int {
        let removed = try await changes.pruneChanges(recordedBefore: cutoff)
        if removed > 0 { logger.info("change log retention", metadata: ["removed": "\(removed)", "days": "\(days)"]) }
        return removed
    }

    /// Sweeps until graceful shutdown; a failed sweep is logged and retried at the next interval.
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await sweep()
            } catch {
                logger.warning("change log retention failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
