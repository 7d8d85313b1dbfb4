import HTTPTypes
import Hummingbird
import PortcullisCore

/// Asks the `LoadShedder` before anything else runs; a shed request is answered 503 `overloaded` with
/// `Retry-After`, in the spec's error shape, and costs the server nothing more.
struct LoadSheddingMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let shedder: LoadShedder

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let verdict = shedder.admit(context.routeClass)
        if case .shed(let seconds) = verdict {
            var response = ErrorResponse.make(status: .serviceUnavailable, code: "overloaded",
                                              message: "the server is overloaded; retry after \(seconds) s")
            response.headers[.retryAfter] = String(seconds)
            return response
        }
        defer { shedder.finish(probe: verdict == .probe) }
        return try await next(request, context)
    }
}
