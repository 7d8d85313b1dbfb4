import Hummingbird

/// The guard of the administrators' route group: 401 without credentials, 403 for a credential that is not an
/// administrator (an `authz` key, a user token), before the route runs.
struct RequireAdminMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        _ = try context.requireAdmin()
        return try await next(request, context)
    }
}
