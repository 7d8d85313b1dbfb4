import Foundation
import Testing

@Suite("Sign-in, tokens and throttling over HTTP")
struct AuthHTTPTests {
    static func login(_ client: HTTPClient, _ email: String, _ password: String) async throws -> HTTPClient.Response {
        try await client.withBearer(nil).post("/api/v1/auth/login", json: ["email": email, "password": password])
    }

    @Test("login returns a bearer token that /me accepts; logout ends it at once")
    func loginMeLogout() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            #expect(try await client.patch("/api/v1/users/m1", json: ["password": "m1-password"]).status == 200)
            let response = try await Self.login(client, "M1@example.com", "m1-password")
            #expect(response.status == 200, "\(response.text)")
            #expect(response.json["token_type"] as? String == "Bearer")
            #expect((response.json["expires_at"] as? String)?.hasSuffix("Z") == true)
            #expect((response.json["user"] as? [String: Any])?["id"] as? String == "m1")
            #expect(response.text.contains("pbkdf2") == false)
            let token = try #require(response.json["token"] as? String)
            #expect(token.utf8.count >= 43 + 4, "≥ 256 random bits")
            let user = client.withBearer(token)

            let me = try await user.get("/api/v1/me")
            #expect(me.status == 200)
            #expect((me.json["user"] as? [String: Any])?["email"] as? String == "m1@example.com")
            let teams = try #require(me.json["teams"] as? [[String: Any]])
            #expect(teams.count == 1 && teams[0]["team_id"] as? String == "t1" && teams[0]["name"] as? String == "Team" && teams[0]["role"] as? String == "viewer")

            #expect(try await user.post("/api/v1/auth/logout", json: [:]).status == 204)
            #expect(try await user.get("/api/v1/me").status == 401)
            #expect(try await client.get("/api/v1/me").status == 403, "an API key is not a user")
        }
    }

    @Test("disabling or deleting a user ends their tokens on the next request", arguments: ["disable", "delete"])
    func userRevocation(how: String) async throws {
        try await TestServer.run { client in
            try await client.create("users", ["id": "u", "email": "u@example.com", "password": "u-password"])
            let token = try #require(try await Self.login(client, "u@example.com", "u-password").json["token"] as? String)
            #expect(try await client.withBearer(token).get("/api/v1/me").status == 200)
            let write = how == "disable"
                ? try await client.patch("/api/v1/users/u", json: ["status": "disabled"]) : try await client.delete("/api/v1/users/u")
            #expect((200..<300).contains(write.status))
            #expect(try await client.withBearer(token).get("/api/v1/me").status == 401)
            #expect(try await Self.login(client, "u@example.com", "u-password").status == 401)
        }
    }

    @Test("unknown email and wrong password get the same 401, in comparable time")
    func sameAnswer() async throws {
        try await TestServer.run { client in
            try await client.create("users", ["id": "u", "email": "u@example.com", "password": "u-password"])
            try await client.create("users", ["id": "nopass", "email": "nopass@example.com"])
            var unknown: [Duration] = [], wrong: [Duration] = []
            var bodies: Set<String> = []
            for round in 0..<4 {
                for (email, bucket) in [("ghost\(round)@example.com", 0), ("u@example.com", 1), ("nopass@example.com", 2)] {
                    let start = ContinuousClock.now
                    let response = try await Self.login(client, email, "not-the-password-\(round)")
                    let elapsed = ContinuousClock.now - start
                    #expect(response.status == 401)
                    #expect(response.errorCode == "invalid_credentials")
                    bodies.insert(response.text)
                    if bucket == 0 { unknown.append(elapsed) } else if bucket == 1 { wrong.append(elapsed) }
                }
            }
            #expect(bodies.count == 1, "identical bodies: \(bodies)")
            let ratio = unknown.sorted()[2] / wrong.sorted()[2]
            // Without the decoy hash an unknown email would answer ~1000× faster; the wide band tolerates a loaded machine.
            #expect(ratio > 0.2 && ratio < 5, "an unknown email must cost a KDF run too (ratio \(ratio))")
        }
    }

    @Test("failed sign-ins per email are limited: 429 with Retry-After, even with the right password")
    func throttlePerEmail() async throws {
        try await TestServer.run { client in
            try await client.create("users", ["id": "u", "email": "u@example.com", "password": "u-password"])
            for _ in 0..<5 { #expect(try await Self.login(client, "u@example.com", "wrong-password").status == 401) }
            let limited = try await Self.login(client, "u@example.com", "u-password")
            #expect(limited.status == 429)
            #expect(limited.errorCode == "rate_limited")
            #expect(Int(limited.header("Retry-After") ?? "") ?? 0 > 0)
        }
    }

    @Test("failed sign-ins per client address are limited across emails")
    func throttlePerAddress() async throws {
        try await TestServer.run(configure: { $0.loginFailuresPerAddress = 3 }) { client in
            for index in 0..<3 { #expect(try await Self.login(client, "nobody\(index)@example.com", "whatever-pass").status == 401) }
            let limited = try await Self.login(client, "someone-else@example.com", "whatever-pass")
            #expect(limited.status == 429 && limited.header("Retry-After") != nil)
        }
    }

    @Test("a user token checks its own user only")
    func userTokenOnCheck() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            #expect(try await client.patch("/api/v1/users/m1", json: ["password": "m1-password"]).status == 200)
            let token = try #require(try await Self.login(client, "m1@example.com", "m1-password").json["token"] as? String)
            let user = client.withBearer(token)
            let own = try await user.post("/api/v1/authz/check", json: ["user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1"])
            #expect(own.status == 200 && own.json["allowed"] as? Bool == true)
            let other = try await user.post("/api/v1/authz/check", json: ["user_id": "owner", "action": "read", "resource_type": "generation", "resource_id": "g1"])
            #expect(other.status == 403)
            #expect(try await user.get("/api/v1/users").status == 403)
        }
    }
}
