import Foundation
import PortcullisCore
import Testing

/// Sign-in as an attacker tries it (SPEC 8.1): lockout bypass by spelling, races past the limit, lockout as a weapon,
/// unbounded hashing, sessions outliving a password, and secrets in caches.
@Suite("Security: sign-in and sessions")
struct SecuritySignInTests {
    static func login(_ client: HTTPClient, _ email: String, _ password: String, from address: String? = nil) async throws -> HTTPClient.Response {
        let body = Array(try JSONSerialization.data(withJSONObject: ["email": email, "password": password]))
        return try await client.withBearer(nil).send("POST", "/api/v1/auth/login", body: body,
                                                     headers: address.map { ["X-Forwarded-For": "198.51.100.1, \($0)"] } ?? [:])
    }

    @Test("the lockout holds for every spelling of the email; NUL and invisible characters are a 400, not another account")
    func lockoutBypass() async throws {
        try await TestServer.run { client in
            try await client.create("users", ["id": "u", "email": "u@example.com", "password": "u-password"])
            for _ in 0..<5 { #expect(try await Self.login(client, "u@example.com", "wrong-password").status == 401) }
            for spelling in ["u@example.com", "U@EXAMPLE.COM", "  u@example.com ", "U@Example.com"] {
                #expect(try await Self.login(client, spelling, "u-password").status == 429, "'\(spelling)'")
            }
            for trick in ["u@example.com\u{0}x", "u@example.com\u{200B}", "u\u{202E}@example.com", "u@example.com\n"] {
                let response = try await Self.login(client, trick, "u-password")
                #expect(response.status == 400 && response.errorCode == "invalid_field" && response.errorMessage?.hasPrefix("email:") == true,
                        "\(trick.debugDescription): \(response.status) \(response.text)")
            }
        }
    }

    @Test("emails are stored normalized and unique in that form; control characters are refused everywhere they are written")
    func emailForms() async throws {
        try await TestServer.run { client in
            let created = try await client.create("users", ["id": "a", "email": "  Alice@Example.COM ", "password": "a-password"])
            #expect(created.json["email"] as? String == "alice@example.com")
            #expect(try await client.post("/api/v1/users", json: ["id": "b", "email": "ALICE@example.com"]).status == 409)
            #expect(try await Self.login(client, "ALICE@EXAMPLE.COM", "a-password").status == 200)
            for bad in ["x\u{0}@example.com", "x@example.com\u{1}", "x\u{85}@example.com", "x\u{2066}@example.com"] {
                let response = try await client.post("/api/v1/users", json: ["id": "c", "email": bad])
                #expect(response.status == 400 && response.errorMessage?.hasPrefix("email:") == true, "\(bad.debugDescription)")
            }
            #expect(try await client.post("/api/v1/users", json: ["id": "c", "email": "c@example.com", "display_name": "C\u{0}"]).status == 400)
            #expect(try await client.post("/api/v1/teams", json: ["id": "t", "name": "T\u{9F}", "owner_id": "a"]).status == 400)
            #expect(try await client.patch("/api/v1/users/a", json: ["email": "a\u{0}@example.com"]).status == 400)
            let users = try await client.get("/api/v1/users")
            #expect((users.json["items"] as? [Any])?.count == 1, "a refused write stored something: \(users.text)")
        }
    }

    @Test("30 concurrent wrong passwords for one account: exactly 5 get 401, the rest 429")
    func throttleRace() async throws {
        try await TestServer.run { client in
            try await client.create("users", ["id": "u", "email": "u@example.com", "password": "u-password"])
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                let parallel = client.onOwnConnections()
                for _ in 0..<30 { group.addTask { try await Self.login(parallel, "u@example.com", "wrong-password").status } }
                return try await group.reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(statuses == [401: 5, 429: 25], "\(statuses)")
        }
    }

    @Test("password hashing is bounded: a burst beyond the pool and its queue gets 503 with Retry-After, never a 500")
    func boundedHashing() async throws {
        try await TestServer.run(configure: { $0.hashingWorkers = 1; $0.hashingQueue = 2; $0.loginFailuresPerAddress = 1_000 }) { client in
            let responses = try await withThrowingTaskGroup(of: HTTPClient.Response.self) { group in
                let parallel = client.onOwnConnections()
                for index in 0..<24 { group.addTask { try await Self.login(parallel, "nobody\(index)@example.com", "whatever-pass") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let statuses = responses.map(\.status)
            #expect(Set(statuses).isSubset(of: [401, 503]), "\(statuses)")
            #expect(statuses.filter { $0 == 401 }.count >= 3, "the pool and its queue are served: \(statuses)")
            let refused = responses.filter { $0.status == 503 }
            #expect(!refused.isEmpty, "24 simultaneous KDF runs on one worker with a queue of 2 must overflow")
            #expect(refused.allSatisfy { $0.header("Retry-After") != nil && $0.errorCode == "overloaded" })
            // A refused attempt is not counted as a failure: the same emails may try again.
            #expect(try await Self.login(client, "nobody0@example.com", "whatever-pass").status == 401)
        }
    }

    @Test("behind a trusted proxy, a guesser's failures do not lock the owner out; past the distributed limit everyone is refused")
    func lockoutAsWeapon() async throws {
        try await TestServer.run(configure: {
            $0.trustedProxies = [AddressRange("127.0.0.1")!]
            $0.loginFailuresDistributed = 8
        }) { client in
            try await client.create("users", ["id": "u", "email": "u@example.com", "password": "u-password"])
            for _ in 0..<5 { #expect(try await Self.login(client, "u@example.com", "wrong-password", from: "203.0.113.66").status == 401) }
            #expect(try await Self.login(client, "u@example.com", "u-password", from: "203.0.113.66").status == 429, "the guesser is stopped")
            #expect(try await Self.login(client, "u@example.com", "u-password", from: "192.0.2.10").status == 200, "the owner gets in")
            // Guesses spread over fresh addresses run into the distributed limit; then even the owner waits.
            for index in 0..<3 { #expect(try await Self.login(client, "u@example.com", "wrong", from: "203.0.113.\(index)").status == 401) }
            let everyone = try await Self.login(client, "u@example.com", "u-password", from: "192.0.2.11")
            #expect(everyone.status == 429 && everyone.header("Retry-After") != nil)
        }
    }

    @Test("X-Forwarded-For is ignored unless the peer is a trusted proxy")
    func spoofedForwardedFor() async throws {
        try await TestServer.run(configure: { $0.loginFailuresPerAddress = 3 }) { client in
            for index in 0..<3 {
                let response = try await Self.login(client, "n\(index)@example.com", "whatever-pass", from: "203.0.113.\(index)")
                #expect(response.status == 401)
            }
            #expect(try await Self.login(client, "n9@example.com", "whatever-pass", from: "203.0.113.99").status == 429,
                    "a spoofed header must not buy a fresh address")
        }
    }

    @Test("a password change, disabling and logout-all end every session; re-enabling does not bring tokens back")
    func sessionsEnd() async throws {
        try await TestServer.run { client in
            try await client.create("users", ["id": "u", "email": "u@example.com", "password": "u-password"])
            func token(_ password: String = "u-password") async throws -> HTTPClient {
                client.withBearer(try #require(try await Self.login(client, "u@example.com", password).json["token"] as? String))
            }
            let first = try await token(), second = try await token()
            #expect(try await client.patch("/api/v1/users/u", json: ["password": "new-password"]).status == 200)
            #expect(try await first.get("/api/v1/me").status == 401)
            #expect(try await second.get("/api/v1/me").status == 401)

            let third = try await token("new-password")
            #expect(try await client.patch("/api/v1/users/u", json: ["status": "disabled"]).status == 200)
            #expect(try await client.patch("/api/v1/users/u", json: ["status": "active"]).status == 200)
            #expect(try await third.get("/api/v1/me").status == 401, "a disabled account's old tokens stay dead")

            let a = try await token("new-password"), b = try await token("new-password")
            let ended = try await a.post("/api/v1/auth/logout-all", json: [:])
            #expect(ended.status == 204 && ended.header("X-Portcullis-Revision") != nil)
            #expect(try await a.get("/api/v1/me").status == 401)
            #expect(try await b.get("/api/v1/me").status == 401)
            #expect(try await client.post("/api/v1/auth/logout-all", json: [:]).status == 403, "an API key has no sessions")
        }
    }

    @Test("responses that carry a secret are not cacheable")
    func noStore() async throws {
        try await TestServer.run { client in
            try await client.create("users", ["id": "u", "email": "u@example.com", "password": "u-password"])
            #expect(try await Self.login(client, "u@example.com", "u-password").header("Cache-Control") == "no-store")
            let key = try await client.post("/api/v1/api-keys", json: ["name": "svc"])
            #expect(key.status == 201 && key.header("Cache-Control") == "no-store")
        }
    }
}
