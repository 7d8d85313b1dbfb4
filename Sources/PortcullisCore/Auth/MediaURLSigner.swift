/// Signs and verifies media URLs: `<public-base>/media/<media_key>?expires=&kid=&uid=&gid=&sig=`.
///
/// The MAC (HMAC-SHA256, base64url) covers the media key, expiry, key id, and the user and generation the URL was
/// issued for. Binding the user and generation lets verification ask the engine again, so a URL stops working as soon
/// as its user loses `download` on the generation — not only when it expires.
public struct MediaURLSigner: Sendable {
    public struct Grant: Sendable, Equatable {
        public var mediaKey: String
        public var expires: Int64
        public var kid: String
        public var userId: String
        public var generationId: String
        public var signature: String

        public init(mediaKey: String, expires: Int64, kid: String, userId: String, generationId: String, signature: String) {
            self.mediaKey = mediaKey
            self.expires = expires
            self.kid = kid
            self.userId = userId
            self.generationId = generationId
            self.signature = signature
        }
    }

    public enum Rejection: String, Sendable, Error {
        case malformed, unknownKey = "unknown_key", badSignature = "bad_signature", expired, revoked
    }

    public let keyring: SigningKeyring
    public let publicBase: String
    public let lifetimeSeconds: Int64

    public init(keyring: SigningKeyring, publicBase: String, lifetimeSeconds: Int64) {
        self.keyring = keyring
        self.publicBase = publicBase.hasSuffix("/") ? String(publicBase.dropLast()) : publicBase
        self.lifetimeSeconds = lifetimeSeconds
    }

    /// A signed URL for `userId` to fetch the media of `generationId`, and its expiry (Unix seconds).
    public func sign(mediaKey: String, userId: String, generationId: String, now: Int64) -> (url: String, expires: Int64) {
        let key = keyring.activeKey
        let expires = now + lifetimeSeconds
        let signature = Self.mac(key: key.secretBytes, mediaKey: mediaKey, expires: expires, kid: key.kid, userId: userId, generationId: generationId)
        return ("\(publicBase)/media/\(mediaKey)?expires=\(expires)&kid=\(key.kid)&uid=\(userId)&gid=\(generationId)&sig=\(signature)", expires)
    }

    /// Checks signature and expiry (not the grant: the caller asks the engine with `userId` and `generationId`).
    public func verifySignature(_ grant: Grant, now: Int64) -> Rejection? {
        guard let key = keyring.verifyingKey(kid: grant.kid) else { return .unknownKey }
        let expected = Self.mac(key: key.secretBytes, mediaKey: grant.mediaKey, expires: grant.expires, kid: grant.kid,
                                userId: grant.userId, generationId: grant.generationId)
        guard Crypto.constantTimeEquals(Array(expected.utf8), Array(grant.signature.utf8)) else { return .badSignature }
        guard grant.expires > now else { return .expired }
        return nil
    }

    /// Reads a grant from query parameters (`key` names the media key), or from a media URL path and query
    /// (`/media/<key>?...`, as nginx passes in `X-Original-URI`).
    public static func grant(query: [String: String]) -> Grant? {
        guard let mediaKey = query["key"], let expiresText = query["expires"], let expires = Int64(expiresText),
              let kid = query["kid"], let userId = query["uid"], let generationId = query["gid"], let signature = query["sig"]
        else { return nil }
        return Grant(mediaKey: mediaKey, expires: expires, kid: kid, userId: userId, generationId: generationId, signature: signature)
    }

    public static func grant(originalURI: String) -> Grant? {
        let parts = originalURI.split(separator: "?", maxSplits: 1)
        guard parts.count == 2, let range = parts[0].range(of: "/media/") else { return nil }
        var query: [String: String] = ["key": String(parts[0][range.upperBound...])]
        for pair in parts[1].split(separator: "&") {
            let keyValue = pair.split(separator: "=", maxSplits: 1)
            if keyValue.count == 2 { query[String(keyValue[0])] = String(keyValue[1]) }
        }
        return grant(query: query)
    }

    static func mac(key: [UInt8], mediaKey: String, expires: Int64, kid: String, userId: String, generationId: String) -> String {
        let message = "portcullis-media-v1\n\(mediaKey)\n\(expires)\n\(kid)\n\(userId)\n\(generationId)"
        return Base64URL.encode(Crypto.hmacSHA256(key: key, message: Array(message.utf8)))
    }
}
