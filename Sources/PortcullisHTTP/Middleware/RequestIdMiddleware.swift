import Hummingbird

/// Outermost: gives the request its id (the client's `X-Request-Id` if acceptable, else a new one) and puts it on the
/// response, errors and shed requests included.
struct RequestIdMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.requestId = RequestIdentifier.id(for: request.headers[.requestId])
        var response = try await next(request, context)
        response.headers[.requestId] = context.requestId
        return response
    }
}
