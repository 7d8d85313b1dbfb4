import HTTPTypes
import Hummingbird
import PortcullisCore

#if canImport(Glibc)
import Glibc
#endif

extension HTTPField.Name {
    static let requestId = Self("X-Request-Id")!
    static let responseTime = Self("X-Response-Time")!
    static let routeClass = Self("X-Route-Class")!
    static let revision = Self("X-Portcullis-Revision")!
}

/// Adds `X-Request-Id`, `X-Route-Class` and `X-Response-Time` to every response, errors included.
///
/// Outermost in the chain: `ErrorMiddleware` inside it has already turned every error into a response.
struct ResponseHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let microseconds = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
        response.headers[.requestId] = request.headers[.requestId].flatMap(Self.acceptableRequestId) ?? Self.newRequestId()
        response.headers[.routeClass] = RouteClass(path: request.uri.path).rawValue
        response.headers[.responseTime] = Self.format(milliseconds: microseconds / 1000)
        return response
    }

    /// A client's request id is echoed when it is short and printable; otherwise a new one is made.
    static func acceptableRequestId(_ value: String) -> String? {
        value.utf8.count <= 128 && !value.isEmpty && value.utf8.allSatisfy { $0 > 32 && $0 < 127 } ? value : nil
    }

    static func newRequestId() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt64, radix: 16)
    }

    /// `0.184ms`: three decimals.
    static func format(milliseconds: Double) -> String {
        let thousandths = Int((milliseconds * 1000).rounded())
        let fraction = String(thousandths % 1000)
        return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)ms"
    }
}
