import Hummingbird

/// Classifies the request's path (`X-Route-Class` on the response; load shedding and the monitor read it).
struct RouteClassMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let classifier: RouteClassifier

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.routeClass = classifier.classify(request.uri.path)
        var response = try await next(request, context)
        response.headers[.routeClass] = context.routeClass.rawValue
        return response
    }
}
