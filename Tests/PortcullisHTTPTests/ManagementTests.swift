import Foundation
import Testing

@Suite("Management API over HTTP")
struct ManagementTests {
    @Test("users: create, read, patch, list, soft delete")
    func users() async throws {
        try await TestServer.run { client in
            let created = try await client.create("users", ["id": "u1", "email": "U1@Example.com", "display_name": "U One", "password": "s3cret-pass"])
            #expect(created.json["id"] as? String == "u1")
            #expect(created.json["password"] == nil && created.json["password_hash"] == nil)
            let revision = try #require(created.header("X-Portcullis-Revision").flatMap(Int.init))
            let generated = try await client.create("users", ["email": "auto@example.com"])
            #expect((generated.json["id"] as? String)?.isEmpty == false)

            let read = try await client.get("/api/v1/users/u1")
            #expect(read.status == 200 && read.json["email"] as? String == "u1@example.com", "stored trimmed and lowercased (SPEC 8.1)")
            let patched = try await client.patch("/api/v1/users/u1", json: ["status": "disabled", "display_name": "Renamed"])
            #expect(patched.status == 200 && patched.json["status"] as? String == "disabled" && patched.json["display_name"] as? String == "Renamed")
            #expect(Int(patched.header("X-Portcullis-Revision") ?? "") ?? 0 > revision)

            let list = try await client.get("/api/v1/users?limit=1")
            #expect((list.json["items"] as? [[String: Any]])?.map { $0["id"] as? String } == ["u1"])
            let cursor = try #require(list.json["next_cursor"] as? String)
            let second = try await client.get("/api/v1/users?limit=1&cursor=\(cursor)")
            #expect((second.json["items"] as? [[String: Any]])?.first?["id"] as? String == generated.json["id"] as? String)
            #expect(second.json["next_cursor"] is NSNull)

            let deleted = try await client.delete("/api/v1/users/u1")
            #expect(deleted.status == 204 && deleted.header("X-Portcullis-Revision") != nil)
            #expect(try await client.get("/api/v1/users/u1").status == 404)
            #expect(try await client.delete("/api/v1/users/u1").status == 404)
            // A deleted user's email may be taken again; its id may not.
            #expect(try await client.post("/api/v1/users", json: ["id": "u2", "email": "u1@example.com"]).status == 201)
            #expect(try await client.post("/api/v1/users", json: ["id": "u1", "email": "other@example.com"]).status == 409)
        }
    }

    @Test("teams and members: the owner is a member; PUT creates then replaces; DELETE removes")
    func teamsAndMembers() async throws {
        try await TestServer.run { client in
            try await client.create("users", ["id": "o", "email": "o@example.com"])
            try await client.create("users", ["id": "m", "email": "m@example.com"])
            try await client.create("teams", ["id": "t", "name": "T", "owner_id": "o"])
            let members = try await client.get("/api/v1/teams/t/members")
            let items = try #require(members.json["items"] as? [[String: Any]])
            #expect(items.count == 1 && items[0]["user_id"] as? String == "o" && items[0]["role"] as? String == "owner")

            #expect(try await client.put("/api/v1/teams/t/members/m", json: ["role": "viewer"]).status == 201)
            let replaced = try await client.put("/api/v1/teams/t/members/m", json: ["role": "editor", "permissions": ["delete"], "is_active": false])
            #expect(replaced.status == 200)
            #expect(replaced.json["role"] as? String == "editor" && replaced.json["permissions"] as? [String] == ["delete"])
            #expect(replaced.json["is_active"] as? Bool == false)
            #expect(try await client.put("/api/v1/teams/t/members/m", json: ["role": "boss"]).status == 400)
            #expect(try await client.put("/api/v1/teams/t/members/m", json: ["role": "viewer", "permissions": ["manage_members"]]).status == 400)
            #expect(try await client.put("/api/v1/teams/t/members/ghost", json: ["role": "viewer"]).status == 422)
            #expect(try await client.put("/api/v1/teams/nope/members/m", json: ["role": "viewer"]).status == 404)

            #expect(try await client.delete("/api/v1/teams/t/members/m").status == 204)
            #expect(try await client.delete("/api/v1/teams/t/members/m").status == 404)
            let patched = try await client.patch("/api/v1/teams/t", json: ["name": "Renamed"])
            #expect(patched.json["name"] as? String == "Renamed")
            #expect(try await client.delete("/api/v1/teams/t").status == 204)
            #expect(try await client.get("/api/v1/teams/t/members").status == 404)
        }
    }

    @Test("projects and generations: references are checked, null clears a nullable field")
    func projectsAndGenerations() async throws {
        try await TestServer.run { client in
            try await client.create("users", ["id": "o", "email": "o@example.com"])
            try await client.create("teams", ["id": "t", "name": "T", "owner_id": "o"])
            let project = try await client.create("projects", ["id": "p", "name": "P", "owner_id": "o", "team_id": "t", "visibility": "public"])
            #expect(project.json["visibility"] as? String == "public")
            #expect(try await client.post("/api/v1/projects", json: ["name": "X", "owner_id": "ghost"]).status == 422)
            #expect(try await client.post("/api/v1/projects", json: ["name": "X", "owner_id": "o", "team_id": "ghost"]).status == 422)
            let cleared = try await client.patch("/api/v1/projects/p", json: ["team_id": NSNull(), "visibility": "private"])
            #expect(cleared.status == 200 && cleared.json["team_id"] == nil && cleared.json["visibility"] as? String == "private")

            let generation = try await client.create("generations", ["id": "g", "owner_id": "o", "project_id": "p"])
            #expect(generation.json["status"] as? String == "pending")
            #expect(try await client.post("/api/v1/generations", json: ["owner_id": "o", "project_id": "ghost"]).status == 422)
            let patched = try await client.patch("/api/v1/generations/g", json: ["status": "completed", "media_key": "x/g.png"])
            #expect(patched.json["status"] as? String == "completed" && patched.json["media_key"] as? String == "x/g.png")
            #expect(try await client.patch("/api/v1/generations/g", json: ["media_key": "../etc/passwd"]).status == 400)
            let list = try await client.get("/api/v1/generations")
            #expect((list.json["items"] as? [Any])?.count == 1)
            #expect(try await client.delete("/api/v1/projects/p").status == 204)
            #expect(try await client.get("/api/v1/projects/p").status == 404)
            #expect(try await client.delete("/api/v1/generations/g").status == 204)
            #expect(try await client.get("/api/v1/generations/g").status == 404)
        }
    }
}
