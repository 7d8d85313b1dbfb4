import HTTPTypes
import Hummingbird
import PortcullisCore

/// Behind a trusted reverse proxy, takes the client's address from `X-Forwarded-For` (SPEC 8.1): the right-most entry
/// that is not itself a trusted proxy. Installed only when `server.trusted_proxies` is set; otherwise the TCP peer stands.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let trusted: [AddressRange]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.clientAddress = ClientAddress.resolve(peer: context.clientAddress, forwardedFor: request.headers[values: .xForwardedFor],
                                                      trusted: trusted)
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
