import PortcullisModel
import PortcullisCache
import PortcullisStore

/// Who is making a request, established once by the HTTP layer from the bearer credential.
public enum Identity: Sendable, Equatable {
    /// A service holding an API key.
    case apiKey(id: String, scopes: Set<APIKeyScope>)
    /// A signed-in user (user tokens arrive with authentication).
    case user(id: String, isAdmin: Bool)

    /// May manage users, teams, projects, generations and API keys.
    public var isAdmin: Bool {
        switch self {
        case .apiKey(_, let scopes): scopes.contains(.admin)
        case .user(_, let isAdmin): isAdmin
        }
    }

    /// May ask authorization questions about any user.
    public var mayCheckAnyUser: Bool {
        switch self {
        case .apiKey(_, let scopes): scopes.contains(.admin) || scopes.contains(.authz)
        case .user(_, let isAdmin): isAdmin
        }
    }
}
