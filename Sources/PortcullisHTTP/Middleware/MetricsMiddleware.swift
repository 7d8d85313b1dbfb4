import Hummingbird
import PortcullisCore

/// Times the request: `X-Response-Time` on the response, and — with the monitor on — the request counted in it.
/// Its start time goes into the context, so the access log (inside it) reports the same clock.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// Nil when the monitor is off: the header stays, nothing is recorded.
    let metrics: RequestMetrics?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.startedAt = monotonicNanoseconds()
        var response = try await next(request, context)
        let elapsed = monotonicNanoseconds() - context.startedAt
        response.headers[.responseTime] = ResponseTime.format(nanoseconds: elapsed)
        metrics?.record(method: request.method, path: request.uri.path, routeClass: context.routeClass, status: Int(response.status.code),
                        nanoseconds: elapsed)
        return response
    }
}
