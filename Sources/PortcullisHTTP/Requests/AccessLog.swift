import HTTPTypes
import Logging

/// Writes the access log (`monitor.access_log`): nothing, errors and slow requests, or every request.
struct AccessLog: Sendable {
    let mode: AccessLogMode
    let logger: Logger

    var isOn: Bool { mode != .off }

    /// Logs a finished request if the mode asks for it.
    func record(method: HTTPRequest.Method, path: String, status: Int, routeClass: RouteClass, nanoseconds: Int64, requestId: String,
                client: String) {
        guard mode != .off else { return }
        let milliseconds = Double(nanoseconds) / 1e6
        let slow = routeClass.targetMilliseconds.map { milliseconds > $0 } ?? false
        guard mode == .all || status >= 400 || slow else { return }
        logger.log(level: status >= 500 ? .warning : .info, "\(method.rawValue) \(path) \(status)", metadata: [
            "request_id": .string(requestId), "method": .string(method.rawValue), "path": .string(path),
            "status": .stringConvertible(status), "route_class": .string(routeClass.rawValue),
            "duration_ms": .string(ResponseTime.format(nanoseconds: nanoseconds).dropLast(2).description), "client": .string(client),
        ])
    }
}
