import PortcullisModel
import PortcullisCache
import PortcullisStore

/// A sign-in token: 256 random bits, shown to the user once, stored only as its SHA-256.
public struct UserTokenSecret: Sendable {
    public static let prefix = "pct_"
    public let token: String

    public init(token: String) {
        self.token = token
    }

    public static func generate() -> UserTokenSecret {
        UserTokenSecret(token: prefix + Base64URL.encode(Crypto.randomBytes(32)))
    }

    public var hash: [UInt8] { Crypto.sha256(token.utf8) }
}
