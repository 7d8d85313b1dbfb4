import Foundation
import PortcullisTestSupport
import Synchronization
import Testing

@testable import PortcullisCore
@testable import PortcullisModel

/// A key file the test rewrites, read through a counter: how many times the verifier fetched the set.
final class CountingKeyFile: JWKSSource {
    let file: JWKSFile
    private let fetches = Atomic(0)

    init(_ path: String) { file = JWKSFile(path: path) }

    var count: Int { fetches.load(ordering: .relaxed) }

    func fetch() async throws -> [UInt8] {
        fetches.add(1, ordering: .relaxed)
        return try await file.fetch()
    }

    var location: String { file.location }
}

@Suite("JWT verification: algorithms, claims, leeway, key set refetch")
struct JWTVerifierTests {
    static let issuer = "https://id.example.com/"
    static let audience = "portcullis"
    /// 2023-11-14T22:13:20Z, `ManualClock`'s default.
    static let now: Int64 = 1_700_000_000

    /// A verifier over a key file holding `keys`, at `ManualClock`'s time.
    static func verifier(_ keys: [TestSigningKey], extra: [[String: String]] = [], userClaim: String = "sub")
        async throws -> (JWTVerifier, ManualClock, String, CountingKeyFile)
    {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("jwks-\(UUID().uuidString).json").path
        try TestJWT.jwks(keys, extra: extra).write(toFile: path, atomically: true, encoding: .utf8)
        let clock = ManualClock()
        let source = CountingKeyFile(path)
        let verifier = JWTVerifier(configuration: JWTConfiguration(issuer: issuer, audience: audience, userClaim: userClaim), source: source,
                                   clock: clock.clock)
        try await verifier.loadKeys()
        return (verifier, clock, path, source)
    }

    static func claims(_ extra: [String: Any] = [:]) -> [String: Any] {
        var claims: [String: Any] = ["iss": issuer, "aud": audience, "sub": "alice", "exp": now + 300, "iat": now]
        for (key, value) in extra { claims[key] = value }
        return claims
    }

    static func rejection(_ verifier: JWTVerifier, _ token: String) async -> JWTRejection? {
        do {
            _ = try await verifier.userId(for: token)
            return nil
        } catch {
            return error
        }
    }

    @Test("RS256, ES256 and EdDSA tokens name their user; the user claim is configurable")
    func acceptsEachAlgorithm() async throws {
        let keys = [try TestSigningKey.rsa(kid: "r1"), TestSigningKey.ec(kid: "e1"), TestSigningKey.ed25519(kid: "d1")]
        let (verifier, _, _, _) = try await Self.verifier(keys)
        #expect(verifier.keyIdentifiers == ["d1", "e1", "r1"])
        for key in keys {
            #expect(try await verifier.userId(for: try key.token(Self.claims())) == "alice", "\(key.algorithm)")
        }
        // aud as a list naming us among others.
        #expect(try await verifier.userId(for: try keys[1].token(Self.claims(["aud": ["other", Self.audience]]))) == "alice")

        let (byEmail, _, _, _) = try await Self.verifier(keys, userClaim: "portcullis_user")
        #expect(try await byEmail.userId(for: try keys[2].token(Self.claims(["portcullis_user": "bob"]))) == "bob")
        #expect(await Self.rejection(byEmail, try keys[2].token(Self.claims())) == .noUser, "sub is not the configured claim")
    }

    @Test("iss, aud, the user claim and exp are required and checked")
    func claimsChecked() async throws {
        let key = TestSigningKey.ec(kid: "e1")
        let (verifier, _, _, _) = try await Self.verifier([key])
        var noIssuer = Self.claims()
        noIssuer["iss"] = nil
        var noAudience = Self.claims()
        noAudience["aud"] = nil
        var noExpiry = Self.claims()
        noExpiry["exp"] = nil
        var noSubject = Self.claims()
        noSubject["sub"] = nil
        let cases: [([String: Any], JWTRejection)] = [
            (Self.claims(["iss": "https://evil.example.com/"]), .wrongIssuer),
            (Self.claims(["iss": Self.issuer + "x"]), .wrongIssuer),
            (noIssuer, .wrongIssuer),
            (Self.claims(["aud": "someone-else"]), .wrongAudience),
            (Self.claims(["aud": ["a", "b"]]), .wrongAudience),
            (noAudience, .wrongAudience),
            (noExpiry, .expired),
            (Self.claims(["exp": "tomorrow"]), .expired),
            (noSubject, .noUser),
            (Self.claims(["sub": "not an id!"]), .noUser),
            (Self.claims(["sub": 42]), .noUser),
            (Self.claims(["nbf": "now"]), .notYetValid),
        ]
        for (claims, expected) in cases {
            #expect(await Self.rejection(verifier, try key.token(claims)) == expected, "\(claims)")
        }
    }

    @Test("exp and nbf with 60 s of leeway, at the edges")
    func leewayEdges() async throws {
        let key = TestSigningKey.ed25519(kid: "d1")
        let (verifier, clock, _, _) = try await Self.verifier([key])
        let expiring = try key.token(Self.claims(["exp": Self.now]))
        let starting = try key.token(Self.claims(["nbf": Self.now + 120]))
        // exp = now: accepted until exp + 60 s (exclusive).
        clock.set(milliseconds: (Self.now + 59) * 1000 + 999)
        #expect(await Self.rejection(verifier, expiring) == nil)
        clock.set(milliseconds: (Self.now + 60) * 1000)
        #expect(await Self.rejection(verifier, expiring) == .expired)
        // nbf = now + 120: refused before nbf − 60 s, accepted from it.
        clock.set(milliseconds: (Self.now + 60) * 1000 - 1)
        #expect(await Self.rejection(verifier, starting) == .notYetValid)
        clock.set(milliseconds: (Self.now + 60) * 1000)
        #expect(await Self.rejection(verifier, starting) == nil)
    }

    @Test("alg none, HMAC (the public key as the secret), algorithms the key does not fit, crit and forged signatures are refused")
    func algorithmAttacks() async throws {
        let rsa = try TestSigningKey.rsa(kid: "r1")
        let ec = TestSigningKey.ec(kid: "e1")
        let (verifier, _, _, _) = try await Self.verifier([rsa, ec])
        let claims = Self.claims()
        for alg in ["none", "None", "NONE"] {
            let token = try TestJWT.assemble(header: ["alg": alg, "kid": "r1"], claims: claims, signature: [])
            #expect(await Self.rejection(verifier, token) == .algorithmNotAllowed(alg))
        }
        // Key confusion: HS256 keyed with the RSA public key as the JWKS publishes it, and as its JSON.
        let jwkJSON = Array(try JSONSerialization.data(withJSONObject: rsa.jwk, options: [.sortedKeys]))
        for secret in [Array(rsa.jwk["n"]!.utf8), jwkJSON] {
            for alg in ["HS256", "HS384", "HS512"] {
                let token = try TestJWT.hs256(header: ["alg": alg, "kid": "r1"], claims: claims, secret: secret)
                #expect(await Self.rejection(verifier, token) == .algorithmNotAllowed(alg))
            }
        }
        // An RSA key named with ES256 (and the reverse), PS256, and RS384 are refused before any signature check.
        #expect(await Self.rejection(verifier, try rsa.token(claims, header: ["alg": "ES256", "kid": "r1"])) == .algorithmNotAllowed("ES256"))
        #expect(await Self.rejection(verifier, try ec.token(claims, header: ["alg": "RS256", "kid": "e1"])) == .algorithmNotAllowed("RS256"))
        #expect(await Self.rejection(verifier, try rsa.token(claims, header: ["alg": "PS256", "kid": "r1"])) == .algorithmNotAllowed("PS256"))
        #expect(await Self.rejection(verifier, try rsa.token(claims, header: ["alg": "RS384", "kid": "r1"])) == .algorithmNotAllowed("RS384"))
        #expect(await Self.rejection(verifier, try ec.token(claims, header: ["alg": "ES256", "kid": "e1", "crit": ["exp"]])) == .criticalHeader)
        #expect(await Self.rejection(verifier, try ec.token(claims, header: ["alg": "ES256"])) == .unknownKey(nil))
        // Signed by a key of the right type that is not the one named.
        let impostor = TestSigningKey.ec(kid: "e1")
        #expect(await Self.rejection(verifier, try impostor.token(claims)) == .badSignature)
        // A valid token with its payload swapped keeps the old signature.
        let valid = try ec.token(claims)
        let parts = valid.split(separator: ".")
        let swapped = parts[0] + "." + (try TestJWT.part(Self.claims(["sub": "root"]))) + "." + parts[2]
        #expect(await Self.rejection(verifier, String(swapped)) == .badSignature)
        for garbage in ["", "a.b", "a.b.c", "....", String(repeating: "a", count: JWTConfiguration.maximumLength + 1)] {
            #expect(await Self.rejection(verifier, garbage) == .malformed, "\(garbage.prefix(20))")
        }
    }

    @Test("a key set keeps only public RS256, ES256 and Ed25519 signing keys: oct keys, encryption keys and other curves are skipped")
    func keySetFiltering() async throws {
        let ec = TestSigningKey.ec(kid: "e1")
        let (verifier, _, _, _) = try await Self.verifier([ec], extra: [
            ["kty": "oct", "kid": "h1", "k": TestJWT.base64url(Array("secret".utf8)), "alg": "HS256"],
            ["kty": "EC", "kid": "enc", "use": "enc", "crv": "P-256", "x": ec.jwk["x"]!, "y": ec.jwk["y"]!],
            ["kty": "EC", "kid": "p384", "crv": "P-384", "x": ec.jwk["x"]!, "y": ec.jwk["y"]!],
            ["kty": "RSA", "kid": "ps", "alg": "PS256", "n": "AQAB", "e": "AQAB"],
            ["kty": "EC", "kid": "broken", "crv": "P-256", "x": "AAAA", "y": "AAAA"],
        ])
        #expect(verifier.keyIdentifiers == ["e1"])
        let token = try TestJWT.hs256(header: ["alg": "HS256", "kid": "h1"], claims: Self.claims(), secret: Array("secret".utf8))
        #expect(await Self.rejection(verifier, token) == .algorithmNotAllowed("HS256"))
    }

    @Test("an unknown kid re-reads the key set, at most once a minute (the clock moved by hand)")
    func refetchOnUnknownKid() async throws {
        let first = TestSigningKey.ec(kid: "k1")
        let (verifier, clock, path, source) = try await Self.verifier([first])
        #expect(source.count == 1)
        let second = TestSigningKey.ed25519(kid: "k2")
        let third = try TestSigningKey.rsa(kid: "k3")

        // A new key appears at the identity provider 10 s after start: within the minute, no refetch.
        try TestJWT.jwks([first, second], extra: []).write(toFile: path, atomically: true, encoding: .utf8)
        clock.advance(seconds: 10)
        #expect(await Self.rejection(verifier, try second.token(Self.claims())) == .unknownKey("k2"))
        #expect(source.count == 1)
        // A minute after the last fetch the first token naming it fetches the set once.
        clock.advance(seconds: 50)
        #expect(try await verifier.userId(for: try second.token(Self.claims())) == "alice")
        #expect(source.count == 2)
        // Known kids never fetch; made-up kids fetch once a minute at most, however many arrive.
        for index in 0..<20 {
            #expect(await Self.rejection(verifier, try first.token(Self.claims())) == nil)
            let madeUp = try TestJWT.assemble(header: ["alg": "ES256", "kid": "made-up-\(index)"], claims: Self.claims(), signature: [1])
            #expect(await Self.rejection(verifier, madeUp) == .unknownKey("made-up-\(index)"))
            clock.advance(seconds: 1)
        }
        #expect(source.count == 2)
        try TestJWT.jwks([second, third]).write(toFile: path, atomically: true, encoding: .utf8)
        clock.advance(seconds: 40)
        #expect(try await verifier.userId(for: try third.token(Self.claims())) == "alice")
        #expect(source.count == 3)
        // The set was replaced: a key removed from it no longer verifies.
        #expect(await Self.rejection(verifier, try first.token(Self.claims())) == .unknownKey("k1"))
        #expect(source.count == 3, "within the minute again")
    }

    @Test("many requests naming a new kid at once share one fetch")
    func concurrentMissesShareAFetch() async throws {
        let first = TestSigningKey.ec(kid: "k1")
        let (verifier, clock, path, source) = try await Self.verifier([first])
        let second = TestSigningKey.ec(kid: "k2")
        try TestJWT.jwks([first, second]).write(toFile: path, atomically: true, encoding: .utf8)
        clock.advance(seconds: 61)
        let token = try second.token(Self.claims())
        let accepted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<32 { group.addTask { (try? await verifier.userId(for: token)) == "alice" } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(source.count == 2)
        // Every request that arrived while the fetch was in flight, or after it, sees the new key.
        #expect(accepted == 32)
    }

    @Test("JWT-shaped bearers are told apart from keys and tokens, and never digested as one")
    func shape() throws {
        let token = try TestSigningKey.ec(kid: "k").token(Self.claims())
        #expect(JWTVerifier.looksLikeJWT(token))
        #expect(BearerDigest(token) == nil)
        #expect(!JWTVerifier.looksLikeJWT(APIKeySecret.generate().key))
        #expect(BearerDigest(APIKeySecret.generate().key) != nil)
        #expect(!JWTVerifier.looksLikeJWT("pct_abc.def.ghi"), "the first part is not JSON")
        #expect(!JWTVerifier.looksLikeJWT("a.b"))
        #expect(!JWTVerifier.looksLikeJWT(".e30.x"))
        #expect(JWTVerifier.looksLikeJWT("e30.e30."))
        // Over the length limit: not a JWT, and too long for a key or token.
        let huge = "e30." + String(repeating: "a", count: JWTConfiguration.maximumLength) + ".x"
        #expect(!JWTVerifier.looksLikeJWT(huge) && BearerDigest(huge) == nil)
    }
}
