import Foundation
import HTTPTypes
import Hummingbird
import PortcullisCore

/// `GET /api/v1/performance/dashboard` and `/metrics`: one overview, and the figures behind it.
extension PerformanceRoutes {
    struct Dashboard: Encodable {
        var generatedAt: String
        var monitorEnabled: Bool
        var uptimeSeconds: Double
        var windowSeconds: Int
        var operations: [String: LatencyWindow]
        var routeClasses: [String: LatencyWindow]
        var endpoints: [String: LatencyWindow]
        var responses: [String: Int]
        var cache: DecisionCache.Report?
        var database: Database
        var loadShedding: LoadShedder.Report?
        var fastPath: FastPathFigures.Report?
        var alerts: Alerts
        var recommendations: [String]
        var system: SystemResources

        struct Database: Encodable {
            var statementCache: StatementCacheReport
            var statements: Int
            var calls: Int
            var slowCalls: Int
            var databaseBytes: Int?
            var walBytes: Int?
            enum CodingKeys: String, CodingKey {
                case statementCache = "statement_cache", statements, calls, slowCalls = "slow_calls", databaseBytes = "database_bytes", walBytes = "wal_bytes"
            }
        }

        struct Alerts: Encodable {
            var active: [Alert]
            var history: [Alert]
            var thresholds: AlertThresholds
        }

        enum CodingKeys: String, CodingKey {
            case generatedAt = "generated_at", monitorEnabled = "monitor_enabled", uptimeSeconds = "uptime_seconds", windowSeconds = "window_seconds"
            case operations, routeClasses = "route_classes", endpoints, responses, cache, database, loadShedding = "load_shedding", fastPath = "fast_path", alerts
            case recommendations, system
        }
    }

    func dashboard() -> Dashboard {
        let (resources, active) = refresh()
        let snapshot = instruments.monitor.snapshot()
        let statements = instruments.store.statements()
        return Dashboard(
            generatedAt: WallClock.system.timestamp(), monitorEnabled: monitorEnabled, uptimeSeconds: (snapshot.uptimeSeconds * 10).rounded() / 10,
            windowSeconds: snapshot.windowSeconds, operations: snapshot.operations, routeClasses: snapshot.routeClasses,
            endpoints: snapshot.endpoints, responses: snapshot.responses, cache: instruments.cache?.report(),
            database: .init(statementCache: statements.statementCache, statements: statements.queries.count,
                            calls: statements.queries.reduce(0) { $0 + $1.calls }, slowCalls: statements.queries.reduce(0) { $0 + $1.slowCount },
                            databaseBytes: resources.databaseBytes, walBytes: resources.walBytes),
            loadShedding: shedder?.report, fastPath: fastPath?.report,
            alerts: .init(active: active, history: instruments.alerts.history, thresholds: instruments.alerts.thresholds),
            recommendations: recommendations(resources: resources), system: resources)
    }

    /// Advice drawn from the live figures: failing targets, scanning statements, an open breaker, a cold cache.
    func recommendations(resources: SystemResources) -> [String] {
        var advice: [String] = []
        for target in validate() where target.status == "fail" {
            advice.append("\(target.name) is \(target.current.map { String($0) } ?? "?") \(target.unit) against a target of \(target.target) \(target.unit)")
        }
        for recommendation in instruments.store.statements().recommendations {
            advice.append("\(recommendation.statement): \(recommendation.suggestion)")
        }
        if let shedder, shedder.report.shed.values.reduce(0, +) > 0 {
            advice.append("requests were shed under load: raise server.max_in_flight if the machine has headroom, or add capacity")
        }
        if let limit = resources.openFilesLimit, limit < 16_384 {
            advice.append("the open-files limit is \(limit): raise LimitNOFILE to serve 10,000 concurrent clients")
        }
        return advice
    }

    struct Metrics: Encodable {
        var monitor: PerformanceMonitor.Snapshot
        var buckets: [String: [LatencyWindow]]
        var cache: DecisionCache.Report?
        var statementCache: StatementCacheReport
        var loadShedding: LoadShedder.Report?
        var system: SystemResources
        var alerts: [Alert]
        enum CodingKeys: String, CodingKey {
            case monitor, buckets, cache, statementCache = "statement_cache", loadShedding = "load_shedding", system, alerts
        }
    }

    func metrics() -> Metrics {
        let (resources, alerts) = refresh()
        return Metrics(
            monitor: instruments.monitor.snapshot(),
            buckets: Dictionary(uniqueKeysWithValues: MonitoredOperation.allCases.map { ($0.rawValue, instruments.monitor.completedBuckets($0)) }),
            cache: instruments.cache?.report(), statementCache: instruments.store.statements().statementCache, loadShedding: shedder?.report,
            system: resources, alerts: alerts)
    }
}
