/// What a JWT caller must show (SPEC 8.5, docs/jwt.md): who issued the token, who it is for, which claim names the
/// user, and the tolerance for clocks that disagree.
public struct JWTConfiguration: Sendable, Equatable {
    /// The exact `iss` a token must carry (`auth.jwt.issuer`).
    public var issuer: String
    /// A value `aud` must be or contain (`auth.jwt.audience`).
    public var audience: String
    /// The claim holding the Portcullis user id (`auth.jwt.user_claim`, default `sub`).
    public var userClaim: String
    /// How far `exp` and `nbf` may be off, in seconds (60).
    public var leewaySeconds: Int64
    /// The least time between two fetches of the key set caused by an unknown `kid`, in seconds (60).
    public var refetchIntervalSeconds: Int64

    /// The accepted algorithms: RSA PKCS#1 v1.5 with SHA-256, ECDSA P-256 with SHA-256, Ed25519. No `none`, no HMAC
    /// (a shared secret in a JWKS would let anyone who reads the set sign), no RSA-PSS or larger curves.
    public static let algorithms: Set<String> = ["RS256", "ES256", "EdDSA"]
    /// The most characters a JWT bearer may have; longer ones are refused before they are parsed.
    public static let maximumLength = 16 * 1024

    /// A configuration; `userClaim`, leeway and refetch interval default to SPEC 8.5's values.
    public init(issuer: String, audience: String, userClaim: String = "sub", leewaySeconds: Int64 = 60, refetchIntervalSeconds: Int64 = 60) {
        self.issuer = issuer
        self.audience = audience
        self.userClaim = userClaim
        self.leewaySeconds = leewaySeconds
        self.refetchIntervalSeconds = refetchIntervalSeconds
    }
}

/// Why a JWT was refused. The HTTP answer is the same 401 for every one of them (a caller learns nothing about the
/// checks); the reason is for logs and tests.
public enum JWTRejection: Error, Sendable, Equatable {
    /// Not three base64url parts with a JSON header and payload, or over `JWTConfiguration.maximumLength`.
    case malformed
    /// `alg` is not RS256, ES256 or EdDSA (`none` and `HS*` included), or does not fit the key it names.
    case algorithmNotAllowed(String)
    /// No `kid` in the header, or one the key set does not hold even after a refetch.
    case unknownKey(String?)
    /// The signature does not verify with the named key.
    case badSignature
    /// `iss` is missing or not the configured issuer.
    case wrongIssuer
    /// `aud` is missing or does not name the configured audience.
    case wrongAudience
    /// `exp` is missing, not a number, or more than the leeway in the past.
    case expired
    /// `nbf` is more than the leeway in the future (or not a number).
    case notYetValid
    /// The user claim is missing or not a valid id.
    case noUser
    /// A `crit` header: this verifier understands no extensions, so it must refuse (RFC 7515 §4.1.11).
    case criticalHeader
}
