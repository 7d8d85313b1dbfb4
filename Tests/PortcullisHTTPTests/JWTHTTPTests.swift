import Foundation
import Hummingbird
import HummingbirdTesting
import PortcullisCore
import PortcullisHTTP
import PortcullisTestSupport
import Synchronization
import Testing

/// JWT callers over real HTTP (SPEC 8.5): on both request paths (the fast path hands JWTs to the full path), with
/// keys made fresh for each test and a clock moved by hand.
@Suite("JWT callers over HTTP", .serialized)
struct JWTHTTPTests {
    static let issuer = "https://id.example.com/"
    static let audience = "portcullis-api"

    /// Claims for `sub` valid at `clock`'s time.
    static func claims(_ sub: String, _ clock: ManualClock, _ extra: [String: Any] = [:]) -> [String: Any] {
        let now = clock.milliseconds / 1000
        var claims: [String: Any] = ["iss": issuer, "aud": audience, "sub": sub, "iat": now, "exp": now + 600]
        for (key, value) in extra { claims[key] = value }
        return claims
    }

    /// A server accepting JWTs signed by `keys` (a key file), at `clock`'s time.
    static func run(keys: [TestSigningKey], clock: ManualClock, _ body: @Sendable (HTTPClient, String) async throws -> Void) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("jwks-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try TestJWT.jwks(keys).write(toFile: path, atomically: true, encoding: .utf8)
        try await TestServer.run(configure: { settings in
            settings.jwt.issuer = issuer
            settings.jwt.audience = audience
            settings.jwt.jwksFile = path
            settings.clock = clock.clock
        }) { client in
            try await client.seedSmallDirectory()
            try await body(client, path)
        }
    }

    @Test("a valid JWT acts as its user: /me, checks about itself, 403 about others, an admin's JWT administers")
    func actsAsUser() async throws {
        let clock = ManualClock()
        let keys = [try TestSigningKey.rsa(kid: "rsa"), TestSigningKey.ec(kid: "ec"), TestSigningKey.ed25519(kid: "ed")]
        try await Self.run(keys: keys, clock: clock) { admin, _ in
            try await admin.create("users", ["id": "boss", "email": "boss@example.com", "is_admin": true])
            for key in keys {
                let m1 = admin.withBearer(try key.token(Self.claims("m1", clock)))
                let me = try await m1.get("/api/v1/me")
                #expect(me.status == 200, "\(key.algorithm): \(me.text)")
                #expect((me.json["user"] as? [String: Any])?["id"] as? String == "m1")
                // Twice on the same connection: the second would be the fast path's, were it to answer JWTs itself.
                for _ in 0..<2 {
                    let own = try await m1.post("/api/v1/authz/check", json: ["user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1"])
                    #expect(own.status == 200 && own.json["allowed"] as? Bool == true && own.json["reason"] as? String == "team_role:viewer",
                            "\(key.algorithm): \(own.status) \(own.text)")
                }
                let other = try await m1.post("/api/v1/authz/check", json: ["user_id": "owner", "action": "read", "resource_type": "generation", "resource_id": "g1"])
                #expect(other.status == 403, "a user's JWT checks only its own user")
                #expect(try await m1.get("/api/v1/users").status == 403, "not an administrator")
                #expect(try await m1.get("/api/v1/generations/g1").status == 200)
            }
            let boss = admin.withBearer(try keys[1].token(Self.claims("boss", clock)))
            #expect(try await boss.get("/api/v1/users").status == 200)
            let check = try await boss.post("/api/v1/authz/check", json: ["user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1"])
            #expect(check.status == 200)
            // A JWT for a user that does not exist is a 401, like any unknown credential.
            #expect(try await admin.withBearer(try keys[0].token(Self.claims("ghost", clock))).get("/api/v1/me").status == 401)
        }
    }

    @Test("wrong iss, aud, exp, nbf (leeway edges), alg none, HS256 keyed with the public key, unknown kid: 401 on every path")
    func rejected() async throws {
        let clock = ManualClock()
        let rsa = try TestSigningKey.rsa(kid: "rsa")
        try await Self.run(keys: [rsa], clock: clock) { admin, _ in
            let now = clock.milliseconds / 1000
            let good = Self.claims("m1", clock)
            let tokens: [(String, String)] = [
                ("wrong iss", try rsa.token(Self.claims("m1", clock, ["iss": "https://other.example.com/"]))),
                ("wrong aud", try rsa.token(Self.claims("m1", clock, ["aud": "another-api"]))),
                ("expired beyond leeway", try rsa.token(Self.claims("m1", clock, ["exp": now - 60]))),
                ("not yet valid beyond leeway", try rsa.token(Self.claims("m1", clock, ["nbf": now + 61]))),
                ("alg none", try TestJWT.assemble(header: ["alg": "none", "kid": "rsa"], claims: good, signature: [])),
                ("HS256 with the public key", try TestJWT.hs256(header: ["alg": "HS256", "kid": "rsa"], claims: good, secret: Array(rsa.jwk["n"]!.utf8))),
                ("unknown kid", try TestSigningKey.ec(kid: "stranger").token(good)),
                ("tampered", String(try rsa.token(good).dropLast(2)) + "AA"),
            ]
            for (name, token) in tokens {
                let client = admin.withBearer(token)
                let me = try await client.get("/api/v1/me")
                #expect(me.status == 401, "\(name): \(me.status)")
                #expect(me.errorCode == "unauthorized", "\(name)")
                let check = try await client.post("/api/v1/authz/check", json: ["user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1"])
                #expect(check.status == 401, "\(name) on the check path: \(check.status)")
            }
            // Inside the leeway on both sides: accepted.
            let late = try rsa.token(Self.claims("m1", clock, ["exp": now - 59]))
            let early = try rsa.token(Self.claims("m1", clock, ["nbf": now + 60]))
            #expect(try await admin.withBearer(late).get("/api/v1/me").status == 200)
            #expect(try await admin.withBearer(early).get("/api/v1/me").status == 200)
            // The same token, once the clock passes exp + 60 s.
            clock.advance(seconds: 1)
            #expect(try await admin.withBearer(late).get("/api/v1/me").status == 401)
        }
    }

    @Test("disabling or deleting the user rejects its JWTs on the very next request, on every path", arguments: ["disable", "delete"])
    func userRevocation(how: String) async throws {
        let clock = ManualClock()
        let key = TestSigningKey.ed25519(kid: "ed")
        try await Self.run(keys: [key], clock: clock) { admin, _ in
            let m1 = admin.withBearer(try key.token(Self.claims("m1", clock)))
            let body: [String: Any] = ["user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1"]
            // Warm every cache: the identity and the decision.
            for _ in 0..<3 { #expect(try await m1.post("/api/v1/authz/check", json: body).status == 200) }
            #expect(try await m1.get("/api/v1/me").status == 200)
            let write = how == "disable"
                ? try await admin.patch("/api/v1/users/m1", json: ["status": "disabled"]) : try await admin.delete("/api/v1/users/m1")
            #expect((200..<300).contains(write.status))
            #expect(try await m1.post("/api/v1/authz/check", json: body).status == 401)
            #expect(try await m1.get("/api/v1/me").status == 401)
            if how == "disable" {
                #expect(try await admin.patch("/api/v1/users/m1", json: ["status": "active"]).status == 200)
                #expect(try await m1.get("/api/v1/me").status == 200, "re-enabled: the same JWT works again")
            }
        }
    }

    @Test("logout and logout-all do not apply to a JWT (403); it goes on working until exp, and the user's sessions are untouched")
    func logoutDoesNotApply() async throws {
        let clock = ManualClock()
        let key = TestSigningKey.ec(kid: "ec")
        try await Self.run(keys: [key], clock: clock) { admin, _ in
            #expect(try await admin.patch("/api/v1/users/m1", json: ["password": "m1-password"]).status == 200)
            let login = try await admin.withBearer(nil).post("/api/v1/auth/login", json: ["email": "m1@example.com", "password": "m1-password"])
            let session = admin.withBearer(try #require(login.json["token"] as? String))
            let jwt = admin.withBearer(try key.token(Self.claims("m1", clock)))
            for path in ["/api/v1/auth/logout", "/api/v1/auth/logout-all"] {
                let response = try await jwt.post(path, json: [:])
                #expect(response.status == 403, "\(path): \(response.status) \(response.text)")
                #expect(response.errorMessage?.contains("exp") == true)
            }
            #expect(try await jwt.get("/api/v1/me").status == 200)
            #expect(try await session.get("/api/v1/me").status == 200, "logout-all by a JWT ended no session")
            // The user's own logout-all ends sessions, not JWTs.
            #expect(try await session.post("/api/v1/auth/logout-all", json: [:]).status == 204)
            #expect(try await session.get("/api/v1/me").status == 401)
            #expect(try await jwt.get("/api/v1/me").status == 200)
        }
    }

    @Test("without auth.jwt a JWT is refused, and never taken for an API key")
    func notConfigured() async throws {
        let clock = ManualClock()
        let key = TestSigningKey.ec(kid: "ec")
        try await TestServer.run(configure: { $0.clock = clock.clock }) { admin in
            try await admin.seedSmallDirectory()
            let jwt = admin.withBearer(try key.token(Self.claims("m1", clock)))
            #expect(try await jwt.get("/api/v1/me").status == 401)
            let check = try await jwt.post("/api/v1/authz/check", json: ["user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1"])
            #expect(check.status == 401)
        }
    }

    @Test("jwks_url: the set is fetched at start, and again for an unknown kid at most once a minute")
    func keySetOverHTTP() async throws {
        let clock = ManualClock()
        let first = TestSigningKey.ec(kid: "k1")
        let published = Mutex(TestJWT.jwks([first]))
        let fetches = Atomic(0)
        let router = Router()
        router.get("/.well-known/jwks.json") { _, _ in
            fetches.add(1, ordering: .relaxed)
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: published.withLock { $0 })))
        }
        let identityProvider = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await identityProvider.test(.live) { provider in
            let url = "http://127.0.0.1:\(try #require(provider.port))/.well-known/jwks.json"
            try await TestServer.run(configure: { settings in
                settings.jwt.issuer = Self.issuer
                settings.jwt.audience = Self.audience
                settings.jwt.jwksURL = url
                settings.clock = clock.clock
            }) { admin in
                try await admin.seedSmallDirectory()
                // Each request path gets a fresh server (fetching `first` alone at start) and keys of its own.
                let second = TestSigningKey.ed25519(kid: "k2-\(UUID().uuidString)")
                let third = TestSigningKey.ec(kid: "k3-\(UUID().uuidString)")
                let base = fetches.load(ordering: .relaxed)
                #expect(base >= 1, "fetched at start")
                #expect(try await admin.withBearer(try first.token(Self.claims("m1", clock))).get("/api/v1/me").status == 200)
                published.withLock { $0 = TestJWT.jwks([first, second]) }
                clock.advance(seconds: 30)
                let withSecond = admin.withBearer(try second.token(Self.claims("m1", clock)))
                #expect(try await withSecond.get("/api/v1/me").status == 401, "30 s after the start fetch: not yet")
                #expect(fetches.load(ordering: .relaxed) == base)
                clock.advance(seconds: 30)
                #expect(try await withSecond.get("/api/v1/me").status == 200)
                #expect(fetches.load(ordering: .relaxed) == base + 1)
                published.withLock { $0 = TestJWT.jwks([first, second, third]) }
                let withThird = admin.withBearer(try third.token(Self.claims("m1", clock)))
                for _ in 0..<5 { #expect(try await withThird.get("/api/v1/me").status == 401) }
                #expect(fetches.load(ordering: .relaxed) == base + 1, "unknown kids within the minute fetch nothing")
                clock.advance(seconds: 60)
                #expect(try await withThird.get("/api/v1/me").status == 200)
                #expect(fetches.load(ordering: .relaxed) == base + 2)
                published.withLock { $0 = TestJWT.jwks([first]) }
            }
        }
    }

    @Test("auth.jwt settings from TOML and PORTCULLIS_AUTH_JWT_*; an incomplete table is a config error")
    func settings() throws {
        let toml = """
            [auth.jwt]
            issuer = "https://id.example.com/"
            audience = "api"
            jwks_file = "/etc/portcullis/jwks.json"
            """
        let fromFile = try SettingsLoader.load(configText: toml, environment: [:], flags: [:])
        #expect(fromFile.jwt.issuer == "https://id.example.com/" && fromFile.jwt.audience == "api" && fromFile.jwt.userClaim == "sub")
        #expect(fromFile.jwt.jwksFile == "/etc/portcullis/jwks.json")
        let fromEnvironment = try SettingsLoader.load(configText: toml, environment: [
            "PORTCULLIS_AUTH_JWT_USER_CLAIM": "uid", "PORTCULLIS_AUTH_JWT_AUDIENCE": "other",
        ], flags: [:])
        #expect(fromEnvironment.jwt.userClaim == "uid" && fromEnvironment.jwt.audience == "other")
        #expect(try fromFile.jwt.configuration() == JWTConfiguration(issuer: "https://id.example.com/", audience: "api"))
        #expect(try ServerSettings().jwt.configuration() == nil, "off by default")
        // Incomplete or ambiguous tables load (so doctor can report them) but stop the start: configuration() throws.
        #expect(throws: PortcullisError.self) {
            try SettingsLoader.load(configText: "[auth.jwt]\nissuer = \"x\"\n", environment: [:], flags: [:]).jwt.configuration()
        }
        #expect(throws: PortcullisError.self) {
            try SettingsLoader.load(configText: toml + "\njwks_url = \"https://id.example.com/jwks\"\n", environment: [:], flags: [:]).jwt.configuration()
        }
        #expect(throws: PortcullisError.self) {
            try SettingsLoader.load(configText: nil, environment: ["PORTCULLIS_AUTH_JWT_JWKS_URL": "http://id.example.com/jwks"], flags: [:])
        }
        #expect(throws: PortcullisError.self) { try SettingsLoader.load(configText: "[auth.jwt]\nleeway = 5\n", environment: [:], flags: [:]) }
    }
}
