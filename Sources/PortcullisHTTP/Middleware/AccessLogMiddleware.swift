import Hummingbird
import PortcullisCore

/// Writes the access log line of a finished request (errors included: it sits outside the error middleware).
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let log: AccessLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.logger[metadataKey: "request_id"] = .string(context.requestId)
        let response = try await next(request, context)
        log.record(method: request.method, path: request.uri.path, status: Int(response.status.code), routeClass: context.routeClass,
                   nanoseconds: monotonicNanoseconds() - context.startedAt, requestId: context.requestId, client: context.clientAddress)
        return response
    }
}
