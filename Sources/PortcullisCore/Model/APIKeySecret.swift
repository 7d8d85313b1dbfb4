/// API key material: the secret shown once, and the hash that is stored.
public struct APIKeySecret: Sendable {
    /// Generated keys start with this; keys from `PORTCULLIS_ADMIN_KEY` may be any secret of 32 characters or more.
    public static let prefix = "pcs_"
    /// Longer bearer credentials are refused before they are hashed.
    public static let maximumLength = 512
    /// The whole secret as the client presents it (a `Bearer` credential); never stored, only its `hash`.
    public let key: String

    /// Wraps a key the caller already has (a bearer credential, `PORTCULLIS_ADMIN_KEY`); use `generate()` for a new one.
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
