import PortcullisModel
import PortcullisCache
import PortcullisStore

/// A sign-in token: 256 random bits, shown to the user once, stored only as its SHA-256.
public struct UserTokenSecret: Sendable {
    /// Every user token starts with this; it is how `Authenticator` tells tokens from API keys.
    public static let prefix = "pct_"
    /// The whole token as the client presents it; never stored, only its `hash`.
    public let token: String

    /// Wraps a token a client presented; use `generate()` for a new one.
    public init(token: String) {
        self.token = token
    }

    /// A new token: `pct_` and 256 random bits in base64url.
    public static func generate() -> UserTokenSecret {
        UserTokenSecret(token: prefix + Base64URL.encode(Crypto.randomBytes(32)))
    }

    /// What is stored and looked up: the SHA-256 of the whole token.
    public var hash: [UInt8] { Crypto.sha256(token.utf8) }
}
