import Foundation
import Testing

/// The routes the admin console needs beside the management API: user search, lists by owner, team or project,
/// a member added by email, a user's memberships with their state, ending another user's sessions, the visibility
/// preview and the media signing keys. Each over real HTTP, on both request paths.
@Suite("Console API over HTTP")
struct ConsoleAPITests {
    static func ids(_ response: HTTPClient.Response, _ field: String = "id") -> [String] {
        (response.json["items"] as? [[String: Any]] ?? []).compactMap { $0[field] as? String }
    }

    @Test("user search: id prefix exactly, email prefix in any case, paged; a bad q is a 400 naming it")
    func userSearch() async throws {
        try await TestServer.run { client in
            for (id, email) in [("alice", "alice@example.com"), ("alina", "zed@example.com"), ("bob", "ALI.baba@example.com"),
                                ("carol", "carol@example.com"), ("Alfred", "alfred@example.com")] {
                try await client.create("users", ["id": id, "email": email])
            }
            #expect(Self.ids(try await client.get("/api/v1/users?q=ali")) == ["alice", "alina", "bob"], "ids exactly, emails lowercased")
            #expect(Self.ids(try await client.get("/api/v1/users?q=ALI")) == ["alice", "bob"], "the email part ignores case; ids do not")
            #expect(Self.ids(try await client.get("/api/v1/users?q=Alf")) == ["Alfred"])
            #expect(Self.ids(try await client.get("/api/v1/users?q=zed%40")) == ["alina"])
            #expect(Self.ids(try await client.get("/api/v1/users?q=nobody")) == [])

            let first = try await client.get("/api/v1/users?q=ali&limit=2")
            #expect(Self.ids(first) == ["alice", "alina"])
            let cursor = try #require(first.json["next_cursor"] as? String)
            let second = try await client.get("/api/v1/users?q=ali&limit=2&cursor=\(cursor)")
            #expect(Self.ids(second) == ["bob"] && second.json["next_cursor"] is NSNull)

            // A deleted user is not found.
            #expect(try await client.delete("/api/v1/users/alina").status == 204)
            #expect(Self.ids(try await client.get("/api/v1/users?q=ali")) == ["alice", "bob"])

            for bad in ["", "%00x", "a%E2%80%8Bb", String(repeating: "a", count: 321)] {
                let answer = try await client.get("/api/v1/users?q=\(bad)")
                #expect(answer.status == 400 && answer.errorCode == "invalid_field", "q=\(bad.prefix(20)): \(answer.status)")
                #expect(answer.errorMessage?.hasPrefix("q") == true)
            }
            #expect(try await client.get("/api/v1/users?q=ali&cursor=%21%21").status == 400)
        }
    }

    @Test("team search: id prefix exactly, name prefix with ASCII case folded, paged; a bad q is a 400 naming it")
    func teamSearch() async throws {
        try await TestServer.run { client in
            try await client.create("users", ["id": "owner", "email": "owner@example.com"])
            for (id, name) in [("design", "Design"), ("DESK", "desk team"), ("ops", "Opérations"), ("sales", "Designers of sales"), ("old", "Design (old)")] {
                try await client.create("teams", ["id": id, "name": name, "owner_id": "owner"])
            }
            #expect(try await client.delete("/api/v1/teams/old").status == 204)
            #expect(Self.ids(try await client.get("/api/v1/teams?q=des")) == ["DESK", "design", "sales"], "ids exactly, names folded, live only")
            #expect(Self.ids(try await client.get("/api/v1/teams?q=DESK")) == ["DESK"], "the id part is exact; names fold")
            #expect(Self.ids(try await client.get("/api/v1/teams?q=Op%C3%A9")) == ["ops"])
            #expect(Self.ids(try await client.get("/api/v1/teams?q=OP%C3%89")) == [], "only ASCII letters are folded")
            #expect(Self.ids(try await client.get("/api/v1/teams?q=nobody")) == [])
            // Form encoding, as URLSearchParams and most clients write it: `+` is a space, `%2B` a plus.
            #expect(Self.ids(try await client.get("/api/v1/teams?q=designers+of")) == ["sales"])
            #expect(Self.ids(try await client.get("/api/v1/teams?q=designers%20of")) == ["sales"])
            #expect(Self.ids(try await client.get("/api/v1/teams?q=designers%2Bof")) == [])

            let first = try await client.get("/api/v1/teams?q=des&limit=2")
            #expect(Self.ids(first) == ["DESK", "design"])
            let cursor = try #require(first.json["next_cursor"] as? String)
            let second = try await client.get("/api/v1/teams?q=des&limit=2&cursor=\(cursor)")
            #expect(Self.ids(second) == ["sales"] && second.json["next_cursor"] is NSNull)

            for bad in ["", "%00x", "a%E2%80%8Bb", String(repeating: "a", count: 321), "%ZZ", "abc%4", "%FF"] {
                let answer = try await client.get("/api/v1/teams?q=\(bad)")
                #expect(answer.status == 400 && answer.errorCode == "invalid_field", "q=\(bad.prefix(20)): \(answer.status)")
                #expect(answer.errorMessage?.hasPrefix("q") == true)
            }
        }
    }

    @Test("projects and generations listed by owner, team or project; every filter given must match")
    func filteredLists() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            try await client.create("teams", ["id": "t2", "name": "Other", "owner_id": "outsider"])
            try await client.create("projects", ["id": "p2", "name": "Mine", "owner_id": "m1"])
            try await client.create("projects", ["id": "p3", "name": "Other's", "owner_id": "outsider", "team_id": "t2"])
            try await client.create("generations", ["id": "g2", "owner_id": "m1", "project_id": "p1"])
            try await client.create("generations", ["id": "g3", "owner_id": "m1", "project_id": "p2"])
            try await client.create("generations", ["id": "g4", "owner_id": "outsider", "project_id": "p3"])

            #expect(Self.ids(try await client.get("/api/v1/projects?owner_id=m1")) == ["p2"])
            #expect(Self.ids(try await client.get("/api/v1/projects?team_id=t1")) == ["p1"])
            #expect(Self.ids(try await client.get("/api/v1/projects?owner_id=owner&team_id=t1")) == ["p1"])
            #expect(Self.ids(try await client.get("/api/v1/projects?owner_id=m1&team_id=t1")) == [])
            #expect(Self.ids(try await client.get("/api/v1/projects")) == ["p1", "p2", "p3"])

            #expect(Self.ids(try await client.get("/api/v1/generations?owner_id=m1")) == ["g2", "g3"])
            #expect(Self.ids(try await client.get("/api/v1/generations?project_id=p1")) == ["g1", "g2"])
            #expect(Self.ids(try await client.get("/api/v1/generations?team_id=t1")) == ["g1", "g2"])
            #expect(Self.ids(try await client.get("/api/v1/generations?team_id=t1&owner_id=m1")) == ["g2"])
            #expect(Self.ids(try await client.get("/api/v1/generations?team_id=t2&project_id=p1")) == [])
            let page = try await client.get("/api/v1/generations?owner_id=m1&limit=1")
            #expect(Self.ids(page) == ["g2"])
            let next = try #require(page.json["next_cursor"] as? String)
            #expect(Self.ids(try await client.get("/api/v1/generations?owner_id=m1&limit=1&cursor=\(next)")) == ["g3"])

            // A deleted project takes its generations out of the team's list, not out of the owner's.
            #expect(try await client.delete("/api/v1/projects/p1").status == 204)
            #expect(Self.ids(try await client.get("/api/v1/generations?team_id=t1")) == [])
            #expect(Self.ids(try await client.get("/api/v1/projects?team_id=t1")) == [])

            for query in ["projects?owner_id=bad%20id", "projects?team_id=", "generations?project_id=%00", "generations?team_id=a/b"] {
                let answer = try await client.get("/api/v1/\(query)")
                #expect(answer.status == 400 && answer.errorCode == "invalid_field", "\(query): \(answer.status)")
            }
        }
    }

    @Test("a member added by email or id; unknown email 422, both or neither 400, absent team 404; nothing changes on error")
    func addMemberByEmail() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let created = try await client.post("/api/v1/teams/t1/members", json: ["email": " Outsider@Example.com ", "role": "editor"])
            #expect(created.status == 201 && created.json["user_id"] as? String == "outsider" && created.json["role"] as? String == "editor")
            #expect(created.header("X-Portcullis-Revision") != nil)
            let replaced = try await client.post("/api/v1/teams/t1/members", json: ["user_id": "outsider", "role": "viewer",
                                                                                   "expires_at": "2099-01-01T00:00:00Z"])
            #expect(replaced.status == 200 && replaced.json["role"] as? String == "viewer")
            #expect(replaced.json["expires_at"] as? String == "2099-01-01T00:00:00.000Z")

            let before = try await client.revision()
            let unknown = try await client.post("/api/v1/teams/t1/members", json: ["email": "ghost@example.com", "role": "viewer"])
            #expect(unknown.status == 422 && unknown.errorMessage?.hasPrefix("email") == true)
            let both = try await client.post("/api/v1/teams/t1/members", json: ["email": "m1@example.com", "user_id": "m1", "role": "viewer"])
            #expect(both.status == 400 && both.errorMessage?.hasPrefix("user_id") == true)
            #expect(try await client.post("/api/v1/teams/t1/members", json: ["role": "viewer"]).status == 400)
            #expect(try await client.post("/api/v1/teams/nope/members", json: ["user_id": "m1", "role": "viewer"]).status == 404)
            #expect(try await client.post("/api/v1/teams/t1/members", json: ["user_id": "ghost", "role": "viewer"]).status == 422)
            let badBound = try await client.post("/api/v1/teams/t1/members", json: ["user_id": "m1", "role": "viewer", "starts_at": "tomorrow"])
            #expect(badBound.status == 400 && badBound.errorMessage?.hasPrefix("starts_at") == true)
            #expect(try await client.post("/api/v1/teams/t1/members", json: ["email": "m1@example.com", "role": "boss"]).status == 400)
            #expect(try await client.post("/api/v1/teams/t1/members", json: ["email": "m1@example.com", "role": "viewer", "x": 1]).status == 400)
            #expect(try await client.revision() == before, "no refused request wrote")
        }
    }

    @Test("a user's memberships: every team, with in_effect, pending, expired or inactive")
    func memberships() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            for team in ["t2", "t3", "t4"] { try await client.create("teams", ["id": team, "name": team, "owner_id": "owner"]) }
            #expect(try await client.put("/api/v1/teams/t2/members/m1", json: ["role": "editor", "starts_at": "2099-01-01T00:00:00Z"]).status == 201)
            #expect(try await client.put("/api/v1/teams/t3/members/m1", json: [
                "role": "viewer", "starts_at": "2000-01-01T00:00:00Z", "expires_at": "2001-01-01T00:00:00Z",
            ]).status == 201)
            #expect(try await client.put("/api/v1/teams/t4/members/m1", json: ["role": "admin", "is_active": false]).status == 201)
            let answer = try await client.get("/api/v1/users/m1/memberships")
            #expect(answer.status == 200)
            let items = answer.json["items"] as? [[String: Any]] ?? []
            #expect(items.compactMap { $0["team_id"] as? String } == ["t1", "t2", "t3", "t4"])
            #expect(items.compactMap { $0["state"] as? String } == ["in_effect", "pending", "expired", "inactive"])
            #expect(items.compactMap { $0["role"] as? String } == ["viewer", "editor", "viewer", "admin"])

            // A deleted team's membership grants nothing and is not listed.
            #expect(try await client.delete("/api/v1/teams/t4").status == 204)
            #expect(Self.ids(try await client.get("/api/v1/users/m1/memberships"), "team_id") == ["t1", "t2", "t3"])
            #expect(try await client.get("/api/v1/users/ghost/memberships").status == 404)
            #expect(try await client.get("/api/v1/users/bad%20id/memberships").status == 400)
        }
    }

    @Test("an administrator ends another user's sessions: the user's tokens are 401 at once, the user stays")
    func endSessions() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let viewer = try await EndUserTests.signedIn(client, "m1")
            let other = try await EndUserTests.signedIn(client, "outsider")
            #expect(try await viewer.get("/api/v1/me").status == 200)
            let ended = try await client.delete("/api/v1/users/m1/sessions")
            #expect(ended.status == 204 && ended.header("X-Portcullis-Revision") != nil)
            #expect(try await viewer.get("/api/v1/me").status == 401)
            #expect(try await other.get("/api/v1/me").status == 200, "another user's session is untouched")
            #expect(try await client.get("/api/v1/users/m1").json["status"] as? String == "active")
            // The audit log says who ended them (sign-ins and sign-outs are logged by default).
            let logged = try await client.get("/api/v1/audit/decisions?user_id=m1&resource_type=account")
            let items = logged.json["items"] as? [[String: Any]] ?? []
            let entry = items.first { $0["reason"] as? String == "ended_by_administrator" }
            #expect(entry?["action"] as? String == "sign_out")
            #expect((entry?["caller"] as? [String: Any])?["kind"] as? String == "api_key")
            #expect(try await client.delete("/api/v1/users/ghost/sessions").status == 404)
            #expect(try await client.delete("/api/v1/users/bad%20id/sessions").status == 400)
        }
    }

    @Test("visibility preview: the generations whose audience changes, matching what checks say after the change")
    func visibilityPreview() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()   // p1 (team visibility) of t1, m1 a viewer, g1 owned by the project's owner
            try await client.create("generations", ["id": "g2", "owner_id": "m1", "project_id": "p1"])
            try await client.create("projects", ["id": "lonely", "name": "L", "owner_id": "owner", "team_id": "t1"])

            func preview(_ project: String, _ visibility: String) async throws -> (total: Int, changed: Int) {
                let answer = try await client.get("/api/v1/projects/\(project)/visibility-preview?visibility=\(visibility)")
                #expect(answer.status == 200, "\(answer.text)")
                return (answer.json["generations"] as? Int ?? -1, answer.json["changed_generations"] as? Int ?? -1)
            }
            // To private: m1 stops reading g1; g2 is m1's own, so its audience stays.
            #expect(try await preview("p1", "private") == (2, 1))
            #expect(try await preview("p1", "team") == (2, 0))
            #expect(try await preview("p1", "public") == (2, 2))
            #expect(try await preview("lonely", "private") == (0, 0))
            let previewed = try await client.get("/api/v1/projects/p1/visibility-preview?visibility=private")
            #expect(previewed.json["visibility"] as? String == "team" && previewed.json["proposed_visibility"] as? String == "private")

            // The preview changed nothing; the change itself does what it said.
            #expect(try await client.decide("m1", "read", "generation", "g1").allowed)
            #expect(try await client.patch("/api/v1/projects/p1", json: ["visibility": "private"]).status == 200)
            #expect(try await client.decide("m1", "read", "generation", "g1").allowed == false)
            #expect(try await client.decide("m1", "read", "generation", "g2").allowed)

            // A membership that has not started does not count.
            #expect(try await client.put("/api/v1/teams/t1/members/m1", json: ["role": "viewer", "starts_at": "2099-01-01T00:00:00Z"]).status == 200)
            #expect(try await preview("p1", "team") == (2, 0))

            for query in ["visibility=secret", "visibility=", "other=1"] {
                let answer = try await client.get("/api/v1/projects/p1/visibility-preview?\(query)")
                #expect(answer.status == 400 && answer.errorMessage?.hasPrefix("visibility") == true, "\(query)")
            }
            #expect(try await client.get("/api/v1/projects/ghost/visibility-preview?visibility=team").status == 404)
        }
    }

    @Test("signing keys: list without secrets, rotate, retire an old key (409 for the active one, 404 unknown)")
    func signingKeys() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let listed = try await client.get("/api/v1/signing-keys")
            #expect(listed.status == 200)
            let first = try #require(listed.json["active"] as? String)
            #expect(!listed.text.contains("secret"), "no secret is ever sent")
            #expect((listed.json["items"] as? [[String: Any]])?.count == 1)

            let viewer = try await EndUserTests.signedIn(client, "m1")
            let oldURL = try #require(try await viewer.get("/api/v1/generations/g1/media-url").json["url"] as? String)

            let strict = try await client.post("/api/v1/signing-keys", json: ["kid": "mine"])
            #expect(strict.status == 400 && strict.errorMessage?.hasPrefix("kid") == true, "the body is strict: a field is refused")
            #expect(try await client.send("POST", "/api/v1/signing-keys", body: Array("{nope".utf8)).status == 400)
            #expect((try await client.get("/api/v1/signing-keys").json["items"] as? [[String: Any]])?.count == 1, "nothing rotated")
            let rotated = try await client.post("/api/v1/signing-keys", json: [String: Any]())
            #expect(rotated.status == 201 && rotated.json["active"] as? Bool == true)
            let second = try #require(rotated.json["kid"] as? String)
            #expect(second != first && !rotated.text.contains("secret"))
            let after = try await client.get("/api/v1/signing-keys")
            #expect(after.json["active"] as? String == second && Self.ids(after, "kid") == [first, second])
            let newURL = try #require(try await viewer.get("/api/v1/generations/g1/media-url").json["url"] as? String)
            #expect(newURL.contains("kid=\(second)"))

            func verifies(_ url: String) async throws -> Int {
                try await client.withBearer(nil).send("GET", "/api/v1/media/verify", headers: ["X-Original-URI": url]).status
            }
            #expect(try await verifies(oldURL) == 204, "the old key still verifies until retired")
            let refused = try await client.post("/api/v1/signing-keys/\(second)/retire", json: [String: Any]())
            #expect(refused.status == 409)
            let retired = try await client.post("/api/v1/signing-keys/\(first)/retire", json: [String: Any]())
            #expect(retired.status == 200 && retired.json["retired"] as? Bool == true && retired.json["active"] as? Bool == false)
            #expect(try await verifies(oldURL) == 403, "a retired key verifies nothing")
            #expect(try await verifies(newURL) == 204)
            #expect(try await client.post("/api/v1/signing-keys/kNOPE0000/retire", json: [String: Any]()).status == 404)
            #expect(try await client.post("/api/v1/signing-keys/bad%20kid/retire", json: [String: Any]()).status == 400)
        }
    }

    @Test("every console route with each credential kind: administrators pass, an authz key and a plain user are 403, none 401")
    func credentialKinds() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            try await client.create("users", ["id": "root", "email": "root@example.com", "is_admin": true])
            let adminUser = try await EndUserTests.signedIn(client, "root")
            let plainUser = try await EndUserTests.signedIn(client, "m1")
            let authz = try #require(try await client.post("/api/v1/api-keys", json: ["name": "svc", "scopes": ["authz"]]).json["key"] as? String)
            let routes: [(method: String, path: String, body: String?)] = [
                ("GET", "/api/v1/users?q=m", nil),
                ("GET", "/api/v1/teams?q=t", nil),
                ("GET", "/api/v1/projects?owner_id=owner", nil),
                ("GET", "/api/v1/generations?team_id=t1", nil),
                ("GET", "/api/v1/users/m1/memberships", nil),
                ("GET", "/api/v1/projects/p1/visibility-preview?visibility=public", nil),
                ("POST", "/api/v1/teams/t1/members", #"{"email":"outsider@example.com","role":"viewer"}"#),
                ("GET", "/api/v1/signing-keys", nil),
                ("DELETE", "/api/v1/users/outsider/sessions", nil),
            ]
            for route in routes {
                func send(_ caller: HTTPClient) async throws -> Int {
                    try await caller.send(route.method, route.path, body: route.body.map { Array($0.utf8) }).status
                }
                #expect([200, 201, 204].contains(try await send(client)), "\(route.method) \(route.path) with the admin key")
                #expect([200, 201, 204].contains(try await send(adminUser)), "\(route.method) \(route.path) with an admin user")
                #expect(try await send(client.withBearer(authz)) == 403, "\(route.method) \(route.path) with an authz key")
                #expect(try await send(plainUser) == 403, "\(route.method) \(route.path) with a plain user")
                #expect(try await send(client.withBearer(nil)) == 401, "\(route.method) \(route.path) without credentials")
            }
            // Rotation and retirement: only administrators; the refused ones changed nothing.
            let before = try await client.get("/api/v1/signing-keys").text
            #expect(try await client.withBearer(authz).send("POST", "/api/v1/signing-keys").status == 403)
            #expect(try await plainUser.send("POST", "/api/v1/signing-keys").status == 403)
            #expect(try await client.withBearer(nil).send("POST", "/api/v1/signing-keys").status == 401)
            #expect(try await client.get("/api/v1/signing-keys").text == before)
            #expect(try await adminUser.send("POST", "/api/v1/signing-keys").status == 201)
        }
    }
}
