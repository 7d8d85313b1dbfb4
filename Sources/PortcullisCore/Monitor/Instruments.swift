import PortcullisModel
import PortcullisSQLite
import PortcullisCache
import PortcullisStore
import Logging
import ServiceLifecycle

/// Everything the performance endpoints read, in one place: the latency monitor, the alerts, the system sampler,
/// the decision cache and the store's query registry. `refresh()` samples what needs sampling and evaluates the
/// alert rules; `MonitorService` calls it every few seconds, and the endpoints call it before they answer.
public final class Instruments: Sendable {
    /// Latency windows by operation, route class and endpoint.
    public let monitor: PerformanceMonitor
    /// The alert rules and their state.
    public let alerts: AlertCenter
    /// CPU, memory, files and storage.
    public let sampler: SystemSampler
    /// The decision cache, when enabled.
    public let cache: DecisionCache?
    /// The store, for its revision, statements and plans.
    public let store: any Store
    /// The change log's wake-ups and counts (`portcullis_changes_total`).
    public let changes: ChangeSignal

    /// The instruments of one server, assembled by the composition root.
    public init(monitor: PerformanceMonitor, alerts: AlertCenter, sampler: SystemSampler, cache: DecisionCache?, store: any Store,
                changes: ChangeSignal = ChangeSignal()) {
        self.monitor = monitor
        self.alerts = alerts
        self.sampler = sampler
        self.cache = cache
        self.store = store
        self.changes = changes
    }

    /// Samples system resources and the cache's totals, then evaluates the alert rules; returns what it sampled, the
    /// cache's report included, so a caller showing them need not count the cache file's rows a second time.
    @discardableResult
    public func refresh() -> (resources: SystemResources, alerts: [Alert], cache: DecisionCache.Report?) {
        let resources = sampler.sample()
        // One report per refresh: it counts the cache file's rows, which can be millions.
        let report = cache?.report()
        if let report {
            let misses = report.lookups - Int((report.overallHitRate * Double(report.lookups)).rounded())
            monitor.observeCache(lookups: report.lookups, misses: misses)
        }
        return (resources, alerts.evaluate(alertInputs(resources, cache: report)), report)
    }

    func alertInputs(_ resources: SystemResources, cache report: DecisionCache.Report?) -> AlertInputs {
        let window = monitor.window(.authorization)
        var breakers: [String: String] = [:]
        for layer in report?.layers ?? [] {
            if let breaker = layer.breaker { breakers[layer.layer] = breaker }
        }
        return AlertInputs(
            authorizationP99Milliseconds: window.count > 0 ? window.p99Milliseconds : nil,
            authorizationBucketP99Milliseconds: monitor.completedBuckets(.authorization).map { $0.count > 0 ? $0.p99Milliseconds : nil },
            bucketSeconds: Int(monitor.bucketSeconds),
            cacheHitRate: monitor.cacheHitRate(), cpuPercent: resources.cpuPercent, memoryPercent: resources.memoryPercent, breakers: breakers)
    }
}

/// Refreshes the instruments every `interval` until shutdown, so alerts are raised and cleared without anyone asking.
public struct MonitorService: Service {
    let instruments: Instruments
    var interval: Duration

    /// A service refreshing `instruments` every `interval` (5 s by default).
    ///
    /// ```swift
    /// services.append(MonitorService(instruments: instruments))
    /// ```
    public init(instruments: Instruments, interval: Duration = .seconds(5)) {
        self.instruments = instruments
        self.interval = interval
    }

    /// Refreshes until graceful shutdown or cancellation; a shutdown interrupts the sleep rather than waiting it out.
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // A plain sleep would hold SIGTERM's exit back by up to `interval`: graceful shutdown is not cancellation.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            instruments.refresh()
        }
    }
}
