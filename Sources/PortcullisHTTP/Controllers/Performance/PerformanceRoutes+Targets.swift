import Foundation
import HTTPTypes
import Hummingbird
import PortcullisCore

/// `GET /api/v1/performance/validate`: each SPEC section 6 target judged from the live figures.
extension PerformanceRoutes {
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
}
