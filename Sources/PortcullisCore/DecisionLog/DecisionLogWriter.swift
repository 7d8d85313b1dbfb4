import Logging
import PortcullisModel
import ServiceLifecycle

/// The background half of the decision log: commits what is queued every `flushInterval` in one transaction, sweeps
/// entries past `retentionDays` and beyond `maxBytes` at start and every `sweepInterval`, and flushes once more at
/// shutdown. Failures are logged, never thrown: decisions go on whatever the log does.
public struct DecisionLogWriter: Service {
    let log: DecisionLog
    let logger: Logger

    /// The writer of `log`, reporting failures to `logger`.
    ///
    /// ```swift
    /// services.append(DecisionLogWriter(log: decisionLog, logger: logger))
    /// ```
    public init(log: DecisionLog, logger: Logger) {
        self.log = log
        self.logger = logger
    }

    /// Sweeps, then loops until graceful shutdown or cancellation, which end with a last flush.
    public func run() async throws {
        sweep()
        var lastSweep = ContinuousClock.now
        let interval = log.configuration.flushInterval
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Woken by a graceful shutdown too, however long the interval.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            flush()
            if ContinuousClock.now - lastSweep >= log.configuration.sweepInterval {
                sweep()
                lastSweep = ContinuousClock.now
            }
        }
        flush()
    }

    private func flush() {
        do {
            try log.flush()
        } catch {
            logger.warning("decision log write failed; logging pauses and counts its drops", metadata: ["error": "\(error)"])
        }
    }

    private func sweep() {
        do {
            let removed = try log.sweep()
            if removed > 0 { logger.info("swept the decision log", metadata: ["entries": "\(removed)"]) }
        } catch {
            logger.warning("decision log sweep failed", metadata: ["error": "\(error)"])
        }
    }
}
