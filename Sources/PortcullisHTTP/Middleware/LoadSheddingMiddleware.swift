import HTTPTypes
import Hummingbird
import PortcullisCore

/// Asks the `LoadShedder` before anything else runs; a shed request is a 503 `overloaded` with `Retry-After`
/// (rendered by `ErrorMiddleware`, which sits outside it) and costs the server nothing more.
struct LoadSheddingMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let shedder: LoadShedder

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let verdict = shedder.admit(context.routeClass)
        if case .shed(let seconds) = verdict {
            throw PortcullisError(.overloaded, "the server is overloaded; retry after \(seconds) s", retryAfterSeconds: seconds)
        }
        defer { shedder.finish(probe: verdict == .probe) }
        return try await next(request, context)
    }
}
