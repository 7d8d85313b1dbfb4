import Foundation
import HTTPTypes
import Hummingbird
import PortcullisCore
import Synchronization

/// `GET /api/v1/performance/{health,dashboard,metrics,validate,test,queries}` and `GET /metrics` (SPEC section 4).
///
/// Every figure is measured in this process: the monitor's rolling windows, the decision cache's report, the
/// store's query registry, /proc. Health is public; the rest needs an administrator (`/metrics` may be public).
struct PerformanceController {
    let instruments: Instruments
    let shedder: LoadShedder?
    let engine: AuthorizationEngine
    let monitorEnabled: Bool
    let metricsPublic: Bool
    let peaks: Peaks

    func addRoutes(to router: Router<AppRequestContext>, table: RouteTable) {
        let controller = self
        router.route(.get, "/api/v1/performance/health", in: table) { _, _ in try .json(controller.health()) }
        router.route(.get, "/api/v1/performance/dashboard", in: table) { _, context in
            _ = try context.requireAdmin()
            return try .json(controller.dashboard())
        }
        router.route(.get, "/api/v1/performance/metrics", in: table) { _, context in
            _ = try context.requireAdmin()
            return try .json(controller.metrics())
        }
        router.route(.get, "/api/v1/performance/validate", in: table) { _, context in
            _ = try context.requireAdmin()
            _ = controller.refresh()
            return try .json(["targets": controller.validate()])
        }
        router.route(.get, "/api/v1/performance/test", in: table) { _, context in
            _ = try context.requireAdmin()
            return try .json(try await controller.syntheticTest())
        }
        router.route(.get, "/api/v1/performance/queries", in: table) { _, context in
            _ = try context.requireAdmin()
            return try .json(controller.queries())
        }
        router.route(.get, "/metrics", in: table) { _, context in
            if !controller.metricsPublic { _ = try context.requireAdmin() }
            let (resources, alerts) = controller.refresh()
            let text = PrometheusExposition.render(instruments: controller.instruments, resources: resources, alerts: alerts,
                                                   shedder: controller.shedder?.report)
            return Response(status: .ok, headers: [.contentType: PrometheusExposition.contentType],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    /// Refreshes the instruments and records peaks for `validate`.
    func refresh() -> (resources: SystemResources, alerts: [Alert]) {
        let result = instruments.refresh()
        peaks.observe(sockets: SystemSampler.openSockets())
        return result
    }

    // MARK: Health

    struct Component: Encodable {
        var status: String
        var detail: [String: String] = [:]
    }

    struct Health: Encodable {
        var status: String
        var version: String
        var uptimeSeconds: Double
        var components: [String: Component]
        enum CodingKeys: String, CodingKey { case status, version, uptimeSeconds = "uptime_seconds", components }
    }

    func health() -> Health {
        var components: [String: Component] = [:]
        let start = monotonicNanoseconds()
        do {
            let revision = try instruments.store.revision()
            components["database"] = Component(status: "ok", detail: [
                "revision": String(revision), "latency_ms": String(Double(monotonicNanoseconds() - start) / 1e6),
            ])
        } catch {
            components["database"] = Component(status: "failing", detail: ["error": "\(error)"])
        }
        if let cache = instruments.cache {
            let report = cache.report()
            if let l1 = report.layer(.l1) {
                components["cache_l1"] = Component(status: "ok", detail: ["entries": String(l1.entries ?? 0), "bytes": String(l1.bytes ?? 0)])
            }
            for layer in [CacheLayer.l2, .l3] {
                guard let report = report.layer(layer), let breaker = report.breaker else { continue }
                components["cache_" + layer.rawValue] = Component(status: breaker == "closed" ? "ok" : "degraded",
                                                                  detail: ["breaker": breaker, "trips": String(report.breakerTrips ?? 0)])
            }
        } else {
            components["cache_l1"] = Component(status: "disabled")
        }
        if let shedder {
            let report = shedder.report
            components["load_shedding"] = Component(status: report.state == "closed" ? "ok" : "degraded", detail: [
                "breaker": report.state, "in_flight": String(report.inFlight), "max_in_flight": String(report.maxInFlight),
            ])
        }
        let failing = components.values.contains { $0.status == "failing" }
        let degraded = components.values.contains { $0.status == "degraded" }
        return Health(status: failing ? "failing" : degraded ? "degraded" : "ok", version: PortcullisVersion.current,
                      uptimeSeconds: (instruments.monitor.uptimeSeconds * 10).rounded() / 10, components: components)
    }

    // MARK: Dashboard and metrics

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
            case operations, routeClasses = "route_classes", endpoints, responses, cache, database, loadShedding = "load_shedding", alerts
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
            loadShedding: shedder?.report,
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

    // MARK: Validate

    struct Target: Encodable {
        var name: String
        var unit: String
        var target: Double
        var current: Double?
        var status: String
        var detail: String

        /// `current` is written as null when there is nothing to judge: the shape is the same for every target.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(unit, forKey: .unit)
            try container.encode(target, forKey: .target)
            try container.encode(current, forKey: .current)
            try container.encode(status, forKey: .status)
            try container.encode(detail, forKey: .detail)
        }

        enum CodingKeys: String, CodingKey { case name, unit, target, current, status, detail }
    }

    /// One entry per SPEC section 6 target, judged from the live figures.
    func validate() -> [Target] {
        let monitor = instruments.monitor
        func latency(_ name: String, _ window: LatencyWindow, target: Double, _ what: String) -> Target {
            guard window.count > 0 else { return Target(name: name, unit: "ms", target: target, current: nil, status: "no_data", detail: "no \(what) in the window") }
            return Target(name: name, unit: "ms", target: target, current: window.p99Milliseconds,
                          status: window.p99Milliseconds < target ? "pass" : "fail",
                          detail: "P99 of \(window.count) \(what) over the last \(window.windowSeconds) s")
        }
        var targets = [
            latency("authorization_check", monitor.window(.authorization), target: 75, "decisions"),
            latency("user_authentication", monitor.window(.authentication), target: 50, "credential checks and sign-ins"),
            latency("generation_access", monitor.window(endpoint: .generationAccess), target: 100, "GET /api/v1/generations/{id} requests"),
            latency("media_url", monitor.window(endpoint: .mediaURL), target: 200, "media URL requests"),
        ]
        if let cache = instruments.cache {
            let windowed = monitor.cacheHitRate()
            let report = cache.report()
            let (rate, lookups, scope) = windowed.map { $0.lookups > 0 ? ($0.rate, $0.lookups, "over the window") : (report.overallHitRate, report.lookups, "since start") }
                ?? (report.overallHitRate, report.lookups, "since start")
            targets.append(lookups == 0
                ? Target(name: "cache_hit_rate", unit: "%", target: 95, current: nil, status: "no_data", detail: "no cache lookups yet")
                : Target(name: "cache_hit_rate", unit: "%", target: 95, current: (rate * 1000).rounded() / 10, status: rate * 100 > 95 ? "pass" : "fail",
                         detail: "\(lookups) lookups \(scope)"))
        } else {
            targets.append(Target(name: "cache_hit_rate", unit: "%", target: 95, current: nil, status: "no_data", detail: "the cache is disabled"))
        }
        let resources = instruments.sampler.sample()
        let peakSockets = peaks.sockets
        let clients: Target
        if let limit = resources.openFilesLimit, limit < 10_000 + 64 {
            clients = Target(name: "concurrent_clients", unit: "connections", target: 10_000, current: Double(peakSockets), status: "fail",
                             detail: "the open-files limit (\(limit)) cannot hold 10,000 connections")
        } else {
            clients = Target(name: "concurrent_clients", unit: "connections", target: 10_000, current: Double(peakSockets),
                             status: peakSockets >= 10_000 ? "pass" : "no_data",
                             detail: peakSockets >= 10_000 ? "peak open sockets observed" : "not yet observed under that many connections (peak open sockets shown)")
        }
        targets.append(clients)
        let peakRate = (monitor.completedBuckets(.apiEndpoint).map(\.perSecond) + [monitor.window(.apiEndpoint).perSecond]).max() ?? 0
        let shed = shedder.map { $0.report.shed.values.reduce(0, +) } ?? 0
        targets.append(Target(name: "requests_per_second", unit: "req/s", target: 1_000, current: peakRate,
                              status: peakRate >= 1_000 ? "pass" : shed > 0 ? "fail" : "no_data",
                              detail: peakRate >= 1_000 ? "peak rate of a \(monitor.bucketSeconds) s bucket"
                                  : shed > 0 ? "requests were shed below the target rate" : "the load so far has stayed below the target"))
        return targets
    }

    // MARK: Synthetic test

    struct Timing: Encodable {
        var component: String
        var iterations: Int
        var p50Microseconds: Double
        var p99Microseconds: Double
        var meanMicroseconds: Double
        var detail: String
        enum CodingKeys: String, CodingKey {
            case component, iterations, p50Microseconds = "p50_us", p99Microseconds = "p99_us", meanMicroseconds = "mean_us", detail
        }
    }

    /// Times each component for real: the L1 memory cache, the L2 and L3 SQLite layers, a database read, and a full
    /// check both evaluated and cached. It uses private cache keys and a private in-memory cache for the cached check,
    /// so the live figures are not disturbed.
    func syntheticTest() async throws -> [String: [Timing]] {
        let iterations = 200
        var timings: [Timing] = []
        func time(_ component: String, _ detail: String, _ body: () throws -> Void) rethrows {
            var samples: [Int64] = []
            samples.reserveCapacity(iterations)
            for _ in 0..<iterations {
                let start = monotonicNanoseconds()
                try body()
                samples.append(monotonicNanoseconds() - start)
            }
            timings.append(Self.timing(component, detail, samples))
        }
        if let cache = instruments.cache {
            let descriptions: [CacheLayer: String] = [
                .l1: "a memory-cache read of a present entry", .l2: "a SQLite read of a present entry in the session-cache layer",
                .l3: "a SQLite read of a present entry in the persistent layer",
            ]
            for timing in try cache.timeLayers(iterations: iterations) {
                timings.append(Self.timing("cache_" + timing.layer.rawValue, descriptions[timing.layer] ?? "", timing.nanoseconds))
            }
        }
        try time("database_query", "one read transaction on the decision path (the data revision)") {
            _ = try instruments.store.withSnapshot { snapshot in try snapshot.revision() }
        }
        let sample = try await sampleCheck()
        let uncached = AuthorizationEngine(store: instruments.store)
        try time("full_check_evaluated", "a decision evaluated from a snapshot (\(sample.resourceId))") { _ = try uncached.check(sample) }
        let cached = AuthorizationEngine(store: instruments.store, cache: instruments.cache?.scratch())
        _ = try cached.check(sample)
        try time("full_check_cached", "the same decision answered from a warm L1") { _ = try cached.check(sample) }
        return ["timings": timings]
    }

    static func timing(_ component: String, _ detail: String, _ samples: [Int64]) -> Timing {
        let samples = samples.sorted()
        func us(_ value: Int64) -> Double { (Double(value) / 10).rounded() / 100 }
        return Timing(component: component, iterations: samples.count, p50Microseconds: us(samples[samples.count / 2]),
                      p99Microseconds: us(samples[samples.count * 99 / 100]),
                      meanMicroseconds: us(samples.reduce(0, +) / Int64(samples.count)), detail: detail)
    }

    /// A real question to time: the first generation and its owner, or an absent one on an empty database.
    func sampleCheck() async throws -> CheckRequest {
        let page = try await instruments.store.generations(PageRequest(cursor: nil, limit: 1))
        let generation = page.items.first
        return CheckRequest(userId: generation?.ownerId ?? "perf-test-user", action: .read, resourceType: .generation,
                            resourceId: generation?.id ?? "perf-test-generation")
    }

    // MARK: Queries

    func queries() -> StatementsReport {
        instruments.store.statements()
    }
}

/// Peaks the validate endpoint judges capacity targets by.
final class Peaks: Sendable {
    private let peakSockets = Atomic<Int>(0)

    func observe(sockets: Int) {
        var current = peakSockets.load(ordering: .relaxed)
        while sockets > current {
            let (exchanged, original) = peakSockets.compareExchange(expected: current, desired: sockets, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    var sockets: Int { peakSockets.load(ordering: .relaxed) }
}
