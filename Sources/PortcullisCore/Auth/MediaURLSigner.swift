import PortcullisModel
import PortcullisCache
import PortcullisStore

/// Signs and verifies media URLs: `<public-base>/media/<media_key>?expires=&kid=&uid=&gid=&sig=`.
///
/// The MAC (HMAC-SHA256, base64url) covers the media key, expiry, key id, and the user and generation the URL was
/// issued for. Binding the user and generation lets verification ask the engine again, so a URL stops working as soon
/// as its user loses `download` on the generation — not only when it expires. Times are Unix **seconds**.
///
/// ```swift
/// let signer = MediaURLSigner(keyring: keyring, publicBase: "https://cdn.example.com/files", lifetimeSeconds: 300)
/// let (url, expires) = try signer.sign(mediaKey: "g42.png", userId: "u1", generationId: "g42", now: clock.seconds())
/// // https://cdn.example.com/files/media/g42.png?expires=…&kid=…&uid=u1&gid=g42&sig=…
///
/// // Later, when the proxy asks whether to serve it:
/// guard let grant = MediaGrant(originalURI: originalURI, basePath: signer.basePath) else { throw PortcullisError(.malformed, "…") }
/// if let rejection = signer.verifySignature(grant, now: clock.seconds()) { throw PortcullisError(rejection.code, "…") }
/// // then ask the engine whether grant.userId may still `download` grant.generationId
/// ```
public struct MediaURLSigner: Sendable {
    /// Why a URL does not verify; each is a 403 with its own error code.
    public enum Rejection: String, Sendable, Error {
        /// `malformed`: not a URL this signer issues; `unknown_key`: its key id is absent or retired; `bad_signature`;
        /// `expired` (checked after the signature); `revoked`: the user may no longer download it (decided by the caller).
        case malformed, unknownKey = "unknown_key", badSignature = "bad_signature", expired, revoked

        /// The error code of the same name (all 403).
        public var code: ErrorCode {
            switch self {
            case .malformed: .malformed
            case .unknownKey: .unknownKey
            case .badSignature: .badSignature
            case .expired: .expired
            case .revoked: .revoked
            }
        }
    }

    /// The keys that sign (the active one) and verify (every key not retired).
    public let keyring: SigningKeyring
    /// Where media URLs point, without a trailing `/` (e.g. `https://cdn.example.com/files`; empty for `/media/` on this host).
    public let publicBase: String
    /// The path part of `publicBase` (`/files` for `https://cdn.example.com/files`; empty for an empty base): where the
    /// reverse proxy sees media URLs, so the only path `X-Original-URI` may carry is `<basePath>/media/<key>`.
    public let basePath: String
    /// How long a signed URL stays valid, in **seconds**.
    public let lifetimeSeconds: Int64

    /// A signer; a trailing `/` on `publicBase` is dropped, and `basePath` is derived from it.
    public init(keyring: SigningKeyring, publicBase: String, lifetimeSeconds: Int64) {
        self.keyring = keyring
        self.publicBase = publicBase.hasSuffix("/") ? String(publicBase.dropLast()) : publicBase
        self.basePath = Self.path(of: self.publicBase)
        self.lifetimeSeconds = lifetimeSeconds
    }

    /// The path of a URL (`scheme://host[:port]/path` → `/path`), or the text itself when it has no scheme.
    static func path(of base: String) -> String {
        guard let scheme = base.range(of: "://") else { return base }
        let rest = base[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return "" }
        return String(rest[slash...])
    }

    /// A signed URL for `userId` to fetch the media of `generationId`, and its expiry (Unix seconds); throws
    /// `signing_keys_unreadable` (503) when the keyring cannot be read.
    public func sign(mediaKey: String, userId: String, generationId: String, now: Int64) throws(PortcullisError) -> (url: String, expires: Int64) {
        let key = try keyring.activeKey()
        let expires = now + lifetimeSeconds
        let signature = Self.mac(key: key.secretBytes, mediaKey: mediaKey, expires: expires, kid: key.kid, userId: userId, generationId: generationId)
        return ("\(publicBase)/media/\(mediaKey)?expires=\(expires)&kid=\(key.kid)&uid=\(userId)&gid=\(generationId)&sig=\(signature)", expires)
    }

    /// Checks signature and expiry (not the grant: the caller asks the engine with `userId` and `generationId`).
    public func verifySignature(_ grant: MediaGrant, now: Int64) -> Rejection? {
        guard let key = keyring.verifyingKey(kid: grant.kid) else { return .unknownKey }
        let expected = Self.mac(key: key.secretBytes, mediaKey: grant.mediaKey, expires: grant.expires, kid: grant.kid,
                                userId: grant.userId, generationId: grant.generationId)
        guard Crypto.constantTimeEquals(Array(expected.utf8), Array(grant.signature.utf8)) else { return .badSignature }
        guard grant.expires > now else { return .expired }
        return nil
    }

    static func mac(key: [UInt8], mediaKey: String, expires: Int64, kid: String, userId: String, generationId: String) -> String {
        let message = "portcullis-media-v1\n\(mediaKey)\n\(expires)\n\(kid)\n\(userId)\n\(generationId)"
        return Base64URL.encode(Crypto.hmacSHA256(key: key, message: Array(message.utf8)))
    }
}
