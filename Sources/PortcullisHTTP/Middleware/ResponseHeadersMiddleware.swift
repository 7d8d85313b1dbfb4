import HTTPTypes
import Hummingbird
import Logging
import PortcullisCore
import Synchronization

extension HTTPField.Name {
    static let requestId = Self("X-Request-Id")!
    static let responseTime = Self("X-Response-Time")!
    static let routeClass = Self("X-Route-Class")!
    static let revision = Self("X-Portcullis-Revision")!
}

/// Outermost in the chain: classifies the route, times the request, and adds `X-Request-Id`, `X-Route-Class` and
/// `X-Response-Time` to every response — errors and shed requests included, since everything inside has been
/// turned into a response by then. It also feeds the monitor (`api_endpoint`, the route class, the named endpoint
/// series) and writes the access log.
struct ResponseHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let classifier: RouteClassifier
    /// Nil when the monitor is off.
    let monitor: PerformanceMonitor?
    let accessLog: AccessLogMode
    let logger: Logger

    init(classifier: RouteClassifier = .defaults, monitor: PerformanceMonitor? = nil, accessLog: AccessLogMode = .off,
         logger: Logger = Logger(label: "portcullis.access")) {
        self.classifier = classifier
        self.monitor = monitor
        self.accessLog = accessLog
        self.logger = logger
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = monotonicNanoseconds()
        let path = request.uri.path
        let routeClass = classifier.classify(path)
        let requestId = request.headers[.requestId].flatMap(Self.acceptableRequestId) ?? Self.newRequestId()
        var context = context
        context.routeClass = routeClass
        if accessLog != .off { context.logger[metadataKey: "request_id"] = .string(requestId) }
        var response = try await next(request, context)
        let elapsed = monotonicNanoseconds() - start
        response.headers[.requestId] = requestId
        response.headers[.routeClass] = routeClass.rawValue
        response.headers[.responseTime] = Self.format(milliseconds: Double(elapsed) / 1e6)
        let status = Int(response.status.code)
        if let monitor {
            monitor.recordRequest(routeClass: routeClass.index, status: status, nanoseconds: elapsed,
                                  endpoint: Self.endpoint(request.method, path))
        }
        if accessLog != .off {
            let slow = routeClass.targetMilliseconds.map { Double(elapsed) / 1e6 > $0 } ?? false
            if accessLog == .all || status >= 400 || slow {
                logger.log(level: status >= 500 ? .warning : .info, "\(request.method.rawValue) \(path) \(status)", metadata: [
                    "request_id": .string(requestId), "method": .string(request.method.rawValue), "path": .string(path),
                    "status": .stringConvertible(status), "route_class": .string(routeClass.rawValue),
                    "duration_ms": .string(Self.format(milliseconds: Double(elapsed) / 1e6)), "client": .string(context.clientAddress),
                ])
            }
        }
        return response
    }

    /// The SPEC section 6 endpoint series a request belongs to: generation access and media URLs.
    @inline(__always)
    static func endpoint(_ method: HTTPRequest.Method, _ path: String) -> MonitoredEndpoint? {
        guard method == .get, path.hasPrefix("/api/v1/generations/") else { return nil }
        if path.hasSuffix("/media-url") { return .mediaURL }
        return path.utf8.dropFirst("/api/v1/generations/".utf8.count).contains(UInt8(ascii: "/")) ? nil : .generationAccess
    }

    /// A client's request id is echoed when it is short and printable; otherwise a new one is made.
    static func acceptableRequestId(_ value: String) -> String? {
        value.utf8.count <= 128 && !value.isEmpty && value.utf8.allSatisfy { $0 > 32 && $0 < 127 } ? value : nil
    }

    /// A random per-process prefix and a counter: unique without a `getrandom` system call per request.
    static func newRequestId() -> String {
        RequestIdSource.prefix + String(RequestIdSource.counter.add(1, ordering: .relaxed).newValue, radix: 16)
    }

    /// `0.184ms`: three decimals.
    static func format(milliseconds: Double) -> String {
        let thousandths = Int((milliseconds * 1000).rounded())
        let fraction = String(thousandths % 1000)
        return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)ms"
    }
}

/// Where new request ids come from.
enum RequestIdSource {
    static let prefix: String = {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt32, radix: 16) + "-"
    }()
    static let counter = Atomic<UInt64>(0)
}
