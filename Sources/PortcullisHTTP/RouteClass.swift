/// The latency class of a route, reported in `X-Route-Class` (SPEC section 5).
public enum RouteClass: String, Sendable, CaseIterable {
    case ultraFast = "ultra_fast"
    case criticalAuth = "critical_auth"
    case fast
    case normal
    case background

    /// Classifies a request path.
    public init(path: String) {
        if path == "/api/v1/health" {
            self = .ultraFast
        } else if path.hasPrefix("/api/v1/authz/") || path.hasPrefix("/api/v1/auth/") {
            self = .criticalAuth
        } else if path == "/api/v1/me" || path.hasPrefix("/api/v1/media/") || (path.hasPrefix("/api/v1/generations/") && path.hasSuffix("/media-url")) {
            self = .fast
        } else if path == "/api/v1/import" || path.hasPrefix("/api/v1/performance/") || path == "/metrics" || path.hasPrefix("/dashboard") {
            self = .background
        } else {
            self = .normal
        }
    }
}
