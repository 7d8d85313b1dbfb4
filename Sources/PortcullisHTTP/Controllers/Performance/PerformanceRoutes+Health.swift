import Foundation
import HTTPTypes
import Hummingbird
import PortcullisCore

/// `GET /api/v1/performance/health`: the status of each component, uptime and version (public, never shed).
extension PerformanceRoutes {
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
        if let gate {
            // Not live: this node refuses what it cannot prove current (503) until its feed has reconnected.
            let status = gate.status
            var detail = ["live": String(status.live), "applied_revision": String(status.appliedRevision), "revision_reads": String(status.reads)]
            if let age = status.provenAgoMilliseconds { detail["proven_ms_ago"] = String((age * 10).rounded() / 10) }
            components["change_feed"] = Component(status: status.live ? "ok" : "failing", detail: detail)
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
}
