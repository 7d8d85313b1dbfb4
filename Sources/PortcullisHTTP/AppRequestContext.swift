import HTTPTypes
import Hummingbird
import PortcullisCore

/// Per-request state: who is asking (set by `AuthenticationMiddleware`) and the body limit.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The resolved bearer credential; nil when the request carried none.
    public var identity: Identity?
    /// True when a bearer credential was sent but did not match any key or token.
    public var credentialRejected = false
    /// Requests bodies above this many bytes are answered 413 (import streams past it with its own limit).
    public var maxUploadSize: Int
    /// The client's IP address (sign-in throttling, access log): the TCP peer, or what a trusted proxy forwarded
    /// (`ClientAddressMiddleware`); "unknown" when the transport has none.
    public var clientAddress: String
    /// The raw bearer credential, kept for logout.
    public var bearer: String?
    /// True when the bearer has the shape of a JWT (verified or not): logout does not apply to it.
    public var bearerIsJWT = false
    /// Set by `RouteClassMiddleware` before anything else runs; load shedding and the monitor read it.
    public var routeClass = RouteClass.normal
    /// Set by `RequestIdMiddleware`, the outermost: echoed in `X-Request-Id` and the access log.
    public var requestId = ""
    /// Monotonic nanoseconds when `MetricsMiddleware` began timing the request.
    public var startedAt: Int64 = 0

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        maxUploadSize = 1 << 20
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

extension AppRequestContext {
    /// The caller's identity, or 401 when there is none or it was rejected.
    func requireIdentity() throws -> Identity {
        guard let identity, !credentialRejected else {
            throw PortcullisError(.unauthorized, credentialRejected
                ? "the bearer credential is invalid or revoked" : "send credentials as 'Authorization: Bearer <token>'")
        }
        return identity
    }

    /// A signed-in user presenting a user token (not a JWT), for the logout routes; 401/403 otherwise.
    func requireSessionUser() throws -> (id: String, isAdmin: Bool) {
        let user = try requireUser()
        guard !bearerIsJWT else {
            throw PortcullisError(.forbidden, "a JWT cannot be signed out here: it ends at its exp (sign out at its identity provider)")
        }
        return user
    }

    /// A signed-in user (user token or JWT), or 401/403.
    func requireUser() throws -> (id: String, isAdmin: Bool) {
        switch try requireIdentity() {
        case .user(let id, let isAdmin): return (id, isAdmin)
        case .apiKey: throw PortcullisError(.forbidden, "this endpoint needs a user token (sign in with /api/v1/auth/login)")
        }
    }

    /// An administrator (admin API key or admin user), or 401/403.
    func requireAdmin() throws -> Identity {
        let identity = try requireIdentity()
        guard identity.isAdmin else { throw PortcullisError(.forbidden, "this endpoint needs administrator credentials") }
        return identity
    }
}
