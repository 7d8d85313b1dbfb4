import HTTPTypes
import Hummingbird
import PortcullisCore

/// `GET /metrics`: the Prometheus text exposition of the performance figures (in the administrators' group, or the
/// public one with `metrics.public = true`).
struct MetricsController {
    let instruments: Instruments
    let shedder: LoadShedder?
    let peaks: Peaks
    let fastPath: FastPathFigures?
    let decisionLog: DecisionLog?
    var gate: (any ConsistencyGate)? = nil

    func addRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let controller = self
        router.route(.get, "/metrics", in: table) { _, _ in
            let (resources, alerts, cache) = controller.instruments.refresh()
            controller.peaks.observe(sockets: SystemSampler.openSockets())
            let text = PrometheusExposition.render(instruments: controller.instruments, resources: resources, alerts: alerts, cache: cache,
                                                   shedder: controller.shedder?.report, fastPath: controller.fastPath?.report,
                                                   decisionLog: controller.decisionLog?.report, gate: controller.gate?.status)
            return Response(status: .ok, headers: [.contentType: PrometheusExposition.contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
