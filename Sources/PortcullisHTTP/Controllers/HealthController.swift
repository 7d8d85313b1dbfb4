import HTTPTypes
import Hummingbird

/// `GET /api/v1/health`: the cheapest possible answer that the process is serving.
struct HealthController {
    func addRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        router.route(.get, "/api/v1/health", in: table) { _, _ in
            .json(bytes: #"{"status":"ok"}"#.utf8)
        }
    }
}
