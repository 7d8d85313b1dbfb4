import Crypto
import CryptoExtras
import Foundation

/// A signing key for JWT tests, made fresh with swift-crypto: RSA 2048 (RS256), P-256 (ES256) or Ed25519 (EdDSA), with
/// its public half as a JWK. Tokens are assembled by hand, so a test controls every header field (`alg`, `kid`,
/// `crit`) and can sign what a well-behaved library never would.
public struct TestSigningKey: Sendable {
    public let kid: String
    /// The JWS `alg` this key signs with.
    public let algorithm: String
    /// The public key as a JWK (string members only).
    public let jwk: [String: String]
    private let signer: @Sendable ([UInt8]) throws -> [UInt8]

    public static func rsa(kid: String) throws -> TestSigningKey {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let primitives = try key.publicKey.getKeyPrimitives()
        return TestSigningKey(kid: kid, algorithm: "RS256",
                              jwk: ["kty": "RSA", "kid": kid, "use": "sig", "n": TestJWT.base64url(primitives.modulus),
                                    "e": TestJWT.base64url(primitives.publicExponent)],
                              signer: { [UInt8](try key.signature(for: $0, padding: .insecurePKCS1v1_5).rawRepresentation) })
    }

    public static func ec(kid: String) -> TestSigningKey {
        let key = P256.Signing.PrivateKey()
        let point = [UInt8](key.publicKey.rawRepresentation)
        return TestSigningKey(kid: kid, algorithm: "ES256",
                              jwk: ["kty": "EC", "kid": kid, "crv": "P-256", "alg": "ES256", "x": TestJWT.base64url(point[0..<32]),
                                    "y": TestJWT.base64url(point[32..<64])],
                              signer: { [UInt8](try key.signature(for: $0).rawRepresentation) })
    }

    public static func ed25519(kid: String) -> TestSigningKey {
        let key = Curve25519.Signing.PrivateKey()
        return TestSigningKey(kid: kid, algorithm: "EdDSA",
                              jwk: ["kty": "OKP", "kid": kid, "crv": "Ed25519", "x": TestJWT.base64url(key.publicKey.rawRepresentation)],
                              signer: { [UInt8](try key.signature(for: $0)) })
    }

    /// A token signed with this key; the header is `{"alg", "kid", "typ": "JWT"}` unless `header` replaces it.
    public func token(_ claims: [String: Any], header: [String: Any]? = nil) throws -> String {
        let header = header ?? ["alg": algorithm, "kid": kid, "typ": "JWT"]
        let input = try TestJWT.part(header) + "." + TestJWT.part(claims)
        return input + "." + TestJWT.base64url(try signer(Array(input.utf8)))
    }
}

/// Helpers for hand-made JWTs and key sets.
public enum TestJWT {
    public static func base64url(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// One base64url JSON part.
    public static func part(_ object: [String: Any]) throws -> String {
        base64url(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    /// `{"keys": [...]}` of the keys' public JWKs (and any extra raw JWK objects).
    public static func jwks(_ keys: [TestSigningKey], extra: [[String: String]] = []) -> String {
        let data = try! JSONSerialization.data(withJSONObject: ["keys": keys.map(\.jwk) + extra], options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// A token with any header and signature bytes: `alg: none`, forged HMACs.
    public static func assemble(header: [String: Any], claims: [String: Any], signature: [UInt8]) throws -> String {
        try part(header) + "." + part(claims) + "." + base64url(signature)
    }

    /// HS256 over the token's signing input with `secret`: the key-confusion attack uses a public key as the secret.
    public static func hs256(header: [String: Any], claims: [String: Any], secret: [UInt8]) throws -> String {
        let input = try part(header) + "." + part(claims)
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: secret))
        return input + "." + base64url(Array(mac))
    }
}
