import HTTPTypes
import Hummingbird
import PortcullisCore

/// Reads `Authorization: Bearer <credential>` into `context.identity`. It rejects nothing itself:
/// each controller states what it needs (`requireIdentity`, `requireAdmin`), so public routes stay public.
/// A bearer shaped like a JWT is verified as one (`Authenticator.identity(jwt:)`) and never looked up as a key or
/// token; `context.bearerIsJWT` tells the logout routes.
///
/// With several nodes (`gate`), a request that presents a credential first waits until this node reflects every
/// write that returned anywhere before it arrived: its credential, and then every check it makes, are answered from
/// caches that are current (SPEC 8.4). A request without a credential reads no cache, except `media/verify`, which
/// passes the gate itself.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let authenticator: Authenticator
    /// Times each credential resolution as `authentication`; nil measures nothing.
    var monitor: PerformanceMonitor? = nil
    /// Several nodes: what a request waits for before its credential is resolved; nil on one node.
    var gate: (any ConsistencyGate)? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        // `startedAt` is set by `MetricsMiddleware` for every request (it runs with the monitor off too).
        if let gate { try await gate.awaitCurrent(since: context.startedAt) }
        var context = context
        let parts = header.split(separator: " ", maxSplits: 1)
        if parts.count == 2 { context.bearer = String(parts[1]) }
        if parts.count == 2, parts[0].lowercased() == "bearer", JWTVerifier.looksLikeJWT(parts[1]) {
            context.bearerIsJWT = true
            if let identity = try await resolve(jwt: String(parts[1])) {
                context.identity = identity
            } else {
                context.credentialRejected = true
            }
        } else if parts.count == 2, parts[0].lowercased() == "bearer", let identity = try resolve(String(parts[1])) {
            context.identity = identity
        } else {
            context.credentialRejected = true
        }
        return try await next(request, context)
    }

    private func resolve(jwt: String) async throws -> Identity? {
        guard let monitor else { return try await authenticator.identity(jwt: jwt) }
        let start = monotonicNanoseconds()
        defer { monitor.record(.authentication, nanoseconds: monotonicNanoseconds() - start) }
        return try await authenticator.identity(jwt: jwt)
    }

    private func resolve(_ bearer: String) throws -> Identity? {
        guard let monitor else { return try authenticator.identity(bearer: bearer) }
        let start = monotonicNanoseconds()
        defer { monitor.record(.authentication, nanoseconds: monotonicNanoseconds() - start) }
        return try authenticator.identity(bearer: bearer)
    }
}
