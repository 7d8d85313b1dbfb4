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

/// API key material: the secret shown once, and the hash that is stored.
public struct APIKeySecret: Sendable {
    /// Generated keys start with this; keys from `PORTCULLIS_ADMIN_KEY` may be any secret of 32 characters or more.
    public static let prefix = "pcs_"
    /// Longer bearer credentials are refused before they are hashed.
    public static let maximumLength = 512
    public let key: String

    public init(key: String) {
        self.key = key
    }

    /// A new key of 256 random bits.
    public static func generate() -> APIKeySecret {
        APIKeySecret(key: prefix + Base64URL.encode(Crypto.randomBytes(32)))
    }

    /// What is stored and looked up: SHA-256 of the whole key.
    public var hash: [UInt8] { Crypto.sha256(key.utf8) }
}
