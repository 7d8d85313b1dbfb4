import Foundation
import HTTPTypes
import Hummingbird
import PortcullisCore

/// `GET /api/v1/performance/{health,dashboard,metrics,validate,test,queries}` (SPEC section 4). Each endpoint's
/// figures are built in its own file: `+Health`, `+Dashboard`, `+Targets`, `+SyntheticTest`.
///
/// Every figure is measured in this process: the monitor's rolling windows, the decision cache's report, the
/// store's statements, /proc. Health is public; the rest sits in the administrators' group.
struct PerformanceRoutes {
    let instruments: Instruments
    let shedder: LoadShedder?
    let engine: AuthorizationEngine
    let monitorEnabled: Bool
    /// The fast path's counts; nil when it is off.
    let fastPath: FastPathFigures?
    /// Several nodes: the consistency gate, whose change feed is a component of health.
    var gate: (any ConsistencyGate)? = nil
    /// Peaks the capacity targets are judged by, shared with `/metrics`.
    let peaks = Peaks()

    func addPublicRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let routes = self
        router.route(.get, "/api/v1/performance/health", in: table) { _, _ in try .json(routes.health()) }
    }

    func addAdminRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let routes = self
        router.route(.get, "/api/v1/performance/dashboard", in: table) { _, _ in try .json(routes.dashboard()) }
        router.route(.get, "/api/v1/performance/metrics", in: table) { _, _ in try .json(routes.metrics()) }
        router.route(.get, "/api/v1/performance/validate", in: table) { _, _ in
            _ = routes.refresh()
            return try .json(["targets": routes.validate()])
        }
        router.route(.get, "/api/v1/performance/test", in: table) { _, _ in try .json(try await routes.syntheticTest()) }
        router.route(.get, "/api/v1/performance/queries", in: table) { _, _ in try .json(routes.instruments.store.statements()) }
    }

    /// Refreshes the instruments and records peaks for `validate`.
    func refresh() -> (resources: SystemResources, alerts: [Alert]) {
        let result = instruments.refresh()
        peaks.observe(sockets: SystemSampler.openSockets())
        return (result.resources, result.alerts)
    }
}
