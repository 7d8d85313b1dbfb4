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
    public let monitor: PerformanceMonitor
    public let alerts: AlertCenter
    public let sampler: SystemSampler
    public let cache: DecisionCache?
    public let store: any Store

    public init(monitor: PerformanceMonitor, alerts: AlertCenter, sampler: SystemSampler, cache: DecisionCache?, store: any Store) {
        self.monitor = monitor
        self.alerts = alerts
        self.sampler = sampler
        self.cache = cache
        self.store = store
    }

    /// Samples system resources and the cache's totals, then evaluates the alert rules.
    @discardableResult
    public func refresh() -> (resources: SystemResources, alerts: [Alert]) {
        let resources = sampler.sample()
        // One report per refresh: it counts the cache file's rows, which can be millions.
        let report = cache?.report()
        if let report {
            let misses = report.lookups - Int((report.overallHitRate * Double(report.lookups)).rounded())
            monitor.observeCache(lookups: report.lookups, misses: misses)
        }
        return (resources, alerts.evaluate(alertInputs(resources, cache: report)))
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

    public init(instruments: Instruments, interval: Duration = .seconds(5)) {
        self.instruments = instruments
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // A plain sleep would hold SIGTERM's exit back by up to `interval`: graceful shutdown is not cancellation.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            instruments.refresh()
        }
    }
}
