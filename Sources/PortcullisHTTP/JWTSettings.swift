import PortcullisCore

/// The `[auth.jwt]` table of the config file (SPEC 8.5, docs/jwt.md): JWT callers are accepted when `issuer`,
/// `audience` and one of `jwks_file` / `jwks_url` are set.
public struct JWTSettings: Sendable, Equatable {
    /// `auth.jwt.issuer`: the exact `iss` tokens carry.
    public var issuer: String?
    /// `auth.jwt.audience`: what `aud` must be or contain.
    public var audience: String?
    /// `auth.jwt.user_claim`: the claim holding the Portcullis user id.
    public var userClaim = "sub"
    /// `auth.jwt.jwks_file`: a JSON Web Key Set on disk.
    public var jwksFile: String?
    /// `auth.jwt.jwks_url`: a JSON Web Key Set over HTTPS (plain HTTP only to a loopback address).
    public var jwksURL: String?

    /// Nothing set: JWT callers are refused.
    public init() {}

    /// Whether any `auth.jwt` key is set (then all that are needed must be).
    public var isConfigured: Bool { issuer != nil || audience != nil || jwksFile != nil || jwksURL != nil }

    /// The verifier's configuration, or nil when JWTs are off.
    /// - Throws: `invalid_config` when the table is incomplete or names both key sources.
    public func configuration() throws(PortcullisError) -> JWTConfiguration? {
        guard isConfigured else { return nil }
        guard let issuer, !issuer.isEmpty else { throw PortcullisError(.invalidConfig, "auth.jwt.issuer is required when auth.jwt is configured") }
        guard let audience, !audience.isEmpty else { throw PortcullisError(.invalidConfig, "auth.jwt.audience is required when auth.jwt is configured") }
        switch (jwksFile, jwksURL) {
        case (nil, nil): throw PortcullisError(.invalidConfig, "set auth.jwt.jwks_file or auth.jwt.jwks_url")
        case (.some, .some): throw PortcullisError(.invalidConfig, "set auth.jwt.jwks_file or auth.jwt.jwks_url, not both")
        default: return JWTConfiguration(issuer: issuer, audience: audience, userClaim: userClaim)
        }
    }
}

extension SettingsLoader {
    /// The options of the `[auth.jwt]` table; each also read from `PORTCULLIS_AUTH_JWT_*`.
    static let jwtOptions: [Option] = [
        Option(key: "auth.jwt.issuer", environment: "PORTCULLIS_AUTH_JWT_ISSUER") { settings, value throws(PortcullisError) in
            settings.jwt.issuer = try text(value, "auth.jwt.issuer")
        },
        Option(key: "auth.jwt.audience", environment: "PORTCULLIS_AUTH_JWT_AUDIENCE") { settings, value throws(PortcullisError) in
            settings.jwt.audience = try text(value, "auth.jwt.audience")
        },
        Option(key: "auth.jwt.user_claim", environment: "PORTCULLIS_AUTH_JWT_USER_CLAIM") { settings, value throws(PortcullisError) in
            settings.jwt.userClaim = try text(value, "auth.jwt.user_claim")
        },
        Option(key: "auth.jwt.jwks_file", environment: "PORTCULLIS_AUTH_JWT_JWKS_FILE") { settings, value throws(PortcullisError) in
            settings.jwt.jwksFile = try text(value, "auth.jwt.jwks_file")
        },
        Option(key: "auth.jwt.jwks_url", environment: "PORTCULLIS_AUTH_JWT_JWKS_URL") { settings, value throws(PortcullisError) in
            let url = try text(value, "auth.jwt.jwks_url")
            guard JWKSURL.isAllowed(url) else {
                throw PortcullisError.invalidField("auth.jwt.jwks_url", "must be an https:// URL (http:// only to 127.0.0.1, ::1 or localhost)")
            }
            settings.jwt.jwksURL = url
        },
    ]

    /// Non-empty text without control characters.
    private static func text(_ value: String, _ name: String) throws(PortcullisError) -> String {
        guard !value.isEmpty, !value.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            throw PortcullisError.invalidField(name, "must be non-empty text without control characters")
        }
        return value
    }
}
