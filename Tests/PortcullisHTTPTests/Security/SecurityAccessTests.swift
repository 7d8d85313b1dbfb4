import Foundation
import PortcullisCore
import PortcullisTestSupport
import Testing

/// Every route tried with every credential kind, and the holes of SPEC 8.1 that are about who may do what:
/// foreign media through `media_key`, widening visibility by moving, and what a user token's check may reveal.
@Suite("Security: access by credential kind")
struct SecurityAccessTests {
    /// Who may call a route (the SPEC's section 4 and 8.1).
    enum Access: String {
        case anyone, user, checker, endUserOrAdmin, subjectsLister, admin
    }

    /// Every route's access class; a route missing here fails the matrix, so a new route must state who may call it.
    static func access(_ operation: String) -> Access? {
        switch operation {
        case "GET /api/v1/health", "GET /api/v1/performance/health", "GET /api/v1/openapi.yaml", "POST /api/v1/auth/login",
             "GET /api/v1/media/verify":
            return .anyone
        case _ where operation.hasPrefix("GET /dashboard"): return .anyone
        case "POST /api/v1/auth/logout", "POST /api/v1/auth/logout-all", "GET /api/v1/me", "GET /api/v1/generations/{id}/media-url":
            return .user
        case "POST /api/v1/authz/check", "POST /api/v1/authz/check-batch", "GET /api/v1/authz/resources": return .checker
        case "GET /api/v1/authz/subjects": return .subjectsLister
        case "GET /api/v1/generations/{id}", "PATCH /api/v1/generations/{id}", "DELETE /api/v1/generations/{id}": return .endUserOrAdmin
        case _ where operation.contains(" /api/v1/users") || operation.contains(" /api/v1/teams") || operation.contains(" /api/v1/projects")
            || operation.contains(" /api/v1/generations") || operation.contains(" /api/v1/api-keys") || operation.contains(" /api/v1/import")
            || operation.contains(" /api/v1/performance/") || operation.contains(" /api/v1/changes") || operation.contains(" /api/v1/audit/")
            || operation.contains(" /api/v1/signing-keys") || operation == "GET /metrics":
            return .admin
        default: return nil
        }
    }

    @Test("every route answers each credential kind as its access class says: none 401, the wrong kind 403")
    func matrix() async throws {
        let operations = try OpenAPIContractTests.routerOperations().sorted()
        // A JWT caller too (docs/jwt.md): the same user as the user token, from a key file.
        let key = TestSigningKey.ed25519(kid: "matrix")
        let jwks = FileManager.default.temporaryDirectory.appendingPathComponent("jwks-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: jwks) }
        try TestJWT.jwks([key]).write(toFile: jwks, atomically: true, encoding: .utf8)
        try await TestServer.run(configure: { settings in
            settings.jwt.issuer = "https://id.example.com/"
            settings.jwt.audience = "portcullis"
            settings.jwt.jwksFile = jwks
        }) { client in
            try await client.seedSmallDirectory()
            let user = try await EndUserTests.signedIn(client, "m1")
            let now = WallClock.system.seconds()
            let jwt = client.withBearer(try key.token(["iss": "https://id.example.com/", "aud": "portcullis", "sub": "m1", "exp": now + 3600]))
            let authz = try #require(try await client.post("/api/v1/api-keys", json: ["name": "svc", "scopes": ["authz"]]).json["key"] as? String)
            let checker = client.withBearer(authz)
            let anonymous = client.withBearer(nil)
            for operation in operations {
                let access = try #require(Self.access(operation), "\(operation) has no access class: state who may call it")
                let parts = operation.split(separator: " ", maxSplits: 1)
                let method = String(parts[0])
                let path = String(parts[1]).replacingOccurrences(of: "{id}", with: "g1").replacingOccurrences(of: "{user_id}", with: "m1")
                    .replacingOccurrences(of: "{file}", with: "app.js")
                    .replacingOccurrences(of: "{decision_id}", with: "0000000000000000deadbeef")
                    + (operation.hasSuffix("/authz/resources") ? "?user_id=m1&resource_type=generation&action=read" : "")
                    + (operation.hasSuffix("/authz/subjects") ? "?resource_type=generation&resource_id=g1&action=read" : "")
                // Deletes and writes are harmless to try: each credential that may not act is stopped before anything runs.
                func send(_ client: HTTPClient) async throws -> Int {
                    let body: [UInt8]? = ["POST", "PUT", "PATCH"].contains(method) ? Array("{}".utf8) : nil
                    return try await client.send(method, path, body: body).status
                }
                switch access {
                case .anyone:
                    #expect(try await send(anonymous) != 401, "\(operation) without credentials")
                case .user:
                    #expect(try await send(anonymous) == 401, "\(operation) without credentials")
                    #expect(try await send(checker) == 403, "\(operation) with an authz key")
                    // Logout does not apply to a JWT; the rest it may call as its user.
                    if operation.contains("/auth/logout") {
                        #expect(try await send(jwt) == 403, "\(operation) with a JWT")
                    } else {
                        #expect(![401, 403].contains(try await send(jwt)), "\(operation) with a JWT")
                    }
                case .checker:
                    #expect(try await send(anonymous) == 401, "\(operation) without credentials")
                    #expect(![401, 403].contains(try await send(checker)), "\(operation) with an authz key")
                    #expect(![401, 403].contains(try await send(jwt)), "\(operation) with a JWT about its own user")
                case .subjectsLister:
                    #expect(try await send(anonymous) == 401, "\(operation) without credentials")
                    #expect(try await send(user) == 403, "\(operation) with a user token")
                    #expect(try await send(jwt) == 403, "\(operation) with a JWT")
                    #expect(try await send(checker) == 200, "\(operation) with an authz key")
                case .endUserOrAdmin:
                    #expect(try await send(anonymous) == 401, "\(operation) without credentials")
                    #expect(try await send(checker) == 403, "\(operation) with an authz key")
                    #expect(try await send(jwt) != 401, "\(operation) with a JWT")
                case .admin:
                    #expect(try await send(anonymous) == 401, "\(operation) without credentials")
                    #expect(try await send(checker) == 403, "\(operation) with an authz key")
                    #expect(try await send(user) == 403, "\(operation) with a user token")
                    #expect(try await send(jwt) == 403, "\(operation) with a JWT")
                }
            }
            // The seeded data is untouched by everything refused above.
            #expect(try await client.get("/api/v1/generations/g1").json["status"] as? String == "completed")
            #expect(try await client.get("/api/v1/users/m1").status == 200)
        }
    }

    @Test("a user token asks only about its own user: other users' checks, batches and listings are 403")
    func otherUsersChecks() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let user = try await EndUserTests.signedIn(client, "m1")
            let other: [String: Any] = ["user_id": "owner", "action": "read", "resource_type": "generation", "resource_id": "g1"]
            #expect(try await user.post("/api/v1/authz/check", json: other).status == 403)
            #expect(try await user.post("/api/v1/authz/check-batch", json: ["checks": [other]]).status == 403)
            #expect(try await user.get("/api/v1/authz/resources?user_id=owner&resource_type=generation&action=read").status == 403)
        }
    }

    @Test("an editor cannot point their generation at another's file: media_key is 403 for end users, data unchanged")
    func foreignMediaKey() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            try await client.create("users", ["id": "victim", "email": "victim@example.com"])
            try await client.create("generations", ["id": "secret", "owner_id": "victim", "media_key": "victim/private.png"])
            try await client.create("generations", ["id": "mine", "owner_id": "m1", "media_key": "m1/own.png"])
            let editor = try await EndUserTests.signedIn(client, "m1")
            for value: Any in ["victim/private.png", NSNull()] {
                let attempt = try await editor.patch("/api/v1/generations/mine", json: ["media_key": value])
                #expect(attempt.status == 403 && attempt.errorCode == "forbidden")
            }
            #expect(try await client.get("/api/v1/generations/mine").json["media_key"] as? String == "m1/own.png")
            let url = try #require(try await editor.get("/api/v1/generations/mine/media-url").json["url"] as? String)
            #expect(url.hasPrefix("/media/m1/own.png?"))
            // A URL for the victim's file can be neither issued nor forged.
            #expect(try await editor.get("/api/v1/generations/secret/media-url").status == 404)
            let forged = url.replacingOccurrences(of: "m1/own.png", with: "victim/private.png")
            #expect(try await client.withBearer(nil).send("GET", "/api/v1/media/verify", headers: ["X-Original-URI": forged]).status == 403)
        }
    }

    @Test("moving a generation needs delete on it and create_generation on the target: an editor cannot widen its audience")
    func wideningByMoving() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            #expect(try await client.put("/api/v1/teams/t1/members/m1", json: ["role": "editor"]).status == 200)
            try await client.create("projects", ["id": "mine-public", "name": "Mine", "owner_id": "m1", "visibility": "public"])
            let editor = try await EndUserTests.signedIn(client, "m1")
            let outsider = try await EndUserTests.signedIn(client, "outsider")

            let move = try await editor.patch("/api/v1/generations/g1", json: ["project_id": "mine-public"])
            #expect(move.status == 403, "an editor may update but not delete the owner's generation: \(move.text)")
            #expect(try await client.get("/api/v1/generations/g1").json["project_id"] as? String == "p1", "data unchanged")
            #expect(try await outsider.get("/api/v1/generations/g1").status == 404)
            #expect(try await editor.patch("/api/v1/generations/g1", json: ["project_id": NSNull()]).status == 403, "out of the project too")

            // With delete (team admin) but without create_generation on the target, still 403.
            #expect(try await client.put("/api/v1/teams/t1/members/m1", json: ["role": "admin"]).status == 200)
            try await client.create("projects", ["id": "foreign", "name": "F", "owner_id": "outsider", "visibility": "public"])
            #expect(try await editor.patch("/api/v1/generations/g1", json: ["project_id": "foreign"]).status == 403)
            // Both rights: the move goes through.
            let allowed = try await editor.patch("/api/v1/generations/g1", json: ["project_id": "mine-public"])
            #expect(allowed.status == 200 && allowed.json["project_id"] as? String == "mine-public")
            // Same project again is no move: update alone suffices.
            #expect(try await editor.patch("/api/v1/generations/g1", json: ["project_id": "mine-public", "status": "failed"]).status == 200)
        }
    }

    @Test("with a user token, an unreadable resource is no_grant whether it exists or not, and explain names no foreign team")
    func checksRevealNothing() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            try await client.create("teams", ["id": "hidden-team", "name": "Hidden", "owner_id": "owner"])
            try await client.create("projects", ["id": "hp", "name": "HP", "owner_id": "owner", "team_id": "hidden-team", "visibility": "public"])
            try await client.create("generations", ["id": "hg", "owner_id": "owner", "project_id": "hp"])
            let outsider = try await EndUserTests.signedIn(client, "outsider")
            /// The answer without its timing, revision and id, as canonical JSON text.
            func check(_ action: String, _ type: String, _ id: String) async throws -> String {
                var json = try await outsider.post("/api/v1/authz/check", json: [
                    "user_id": "outsider", "action": action, "resource_type": type, "resource_id": id, "explain": true,
                ]).json
                json["took_us"] = nil
                json["revision"] = nil
                json["decision_id"] = nil
                return String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self)
            }
            for (type, existing, absent) in [("generation", "g1", "nope"), ("project", "p1", "nope"), ("team", "t1", "nope")] {
                for action in ["read", type == "team" ? "manage_members" : "update"] {
                    for _ in 0..<3 {  // repeated, so the existing one would be served from the cache
                        let real = try await check(action, type, existing), missing = try await check(action, type, absent)
                        #expect(real.contains(#""reason":"no_grant""#) && real.contains(#""allowed":false"#), "\(real)")
                        #expect(real == missing, "\(type) \(action): \(real) vs \(missing)")
                    }
                }
            }
            // Readable (public project of a team the user is not in) but not updatable: the reason stands, no team is named.
            let explained = try await check("update", "generation", "hg")
            #expect(explained.contains(#""reason":"no_grant""#) && explained.contains("public_project"), "\(explained)")
            #expect(!explained.contains("hidden-team"), "the explanation names a team the user is not in: \(explained)")
            // API keys keep the full answer.
            #expect(try await client.decide("outsider", "read", "generation", "nope").reason == "not_found")
        }
    }
}
