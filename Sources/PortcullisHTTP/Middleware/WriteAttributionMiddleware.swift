import Hummingbird
import PortcullisCore

/// Binds `WriteAttribution.current` for the rest of the request: the caller (API key or user, from
/// `AuthenticationMiddleware`) and the request id, which every change the request's writes record carries.
struct WriteAttributionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let actor: ChangeActor
        switch context.identity {
        case .apiKey(let id, _): actor = .apiKey(id)
        case .user(let id, _): actor = .user(id)
        // No credential: a request that can write nothing the log records (a sign-in).
        case nil: actor = .system(nil)
        }
        return try await WriteAttribution.$current.withValue(WriteAttribution(actor: actor, requestId: context.requestId)) {
            try await next(request, context)
        }
    }
}
