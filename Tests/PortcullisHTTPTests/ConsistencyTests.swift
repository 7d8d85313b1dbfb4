import Foundation
import Testing

@Suite("Once a write has returned 2xx, the next check reflects it")
struct ConsistencyTests {
    /// A write that takes m1's read access to g1 away, and the reason the next check must give.
    struct Revocation: Sendable, CustomStringConvertible {
        var description: String
        var method: String
        var path: String
        var body: [String: String]?
        var reason: String
    }

    static let revocations: [Revocation] = [
        Revocation(description: "membership deleted", method: "DELETE", path: "/api/v1/teams/t1/members/m1", reason: "no_grant"),
        Revocation(description: "membership deactivated", method: "PUT", path: "/api/v1/teams/t1/members/m1",
                   body: ["role": "viewer", "is_active": "false"], reason: "no_grant"),
        Revocation(description: "user disabled", method: "PATCH", path: "/api/v1/users/m1", body: ["status": "disabled"], reason: "user_inactive"),
        Revocation(description: "user deleted", method: "DELETE", path: "/api/v1/users/m1", reason: "user_inactive"),
        Revocation(description: "project deleted", method: "DELETE", path: "/api/v1/projects/p1", reason: "not_found"),
        Revocation(description: "generation deleted", method: "DELETE", path: "/api/v1/generations/g1", reason: "not_found"),
        Revocation(description: "visibility made private", method: "PATCH", path: "/api/v1/projects/p1", body: ["visibility": "private"], reason: "no_grant"),
        Revocation(description: "team deleted", method: "DELETE", path: "/api/v1/teams/t1", reason: "no_grant"),
        Revocation(description: "project left its team", method: "PATCH", path: "/api/v1/projects/p1", body: ["team_id": "null"], reason: "no_grant"),
    ]

    @Test("revocations take effect at once", arguments: revocations)
    func revocation(_ item: Revocation) async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let before = try await client.decide("m1", "read", "generation", "g1")
            #expect(before.allowed)
            var body: [UInt8]?
            if let fields = item.body {
                let object = fields.mapValues { value -> Any in value == "false" ? false as Any : value == "null" ? NSNull() as Any : value as Any }
                body = Array(try JSONSerialization.data(withJSONObject: object))
            }
            let write = try await client.send(item.method, item.path, body: body)
            #expect((200..<300).contains(write.status), "\(write.text)")
            let writeRevision = try #require(write.header("X-Portcullis-Revision").flatMap(Int.init))
            let after = try await client.decide("m1", "read", "generation", "g1")
            #expect(!after.allowed)
            #expect(after.reason == item.reason)
            #expect(after.revision >= writeRevision && writeRevision > before.revision)
        }
    }

    @Test("grants take effect at once: role change, new membership, public visibility, move to a project")
    func grants() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            #expect(try await client.decide("m1", "update", "generation", "g1").allowed == false)
            #expect(try await client.put("/api/v1/teams/t1/members/m1", json: ["role": "editor"]).status == 200)
            #expect(try await client.decide("m1", "update", "generation", "g1").reason == "team_role:editor")
            #expect(try await client.put("/api/v1/teams/t1/members/m1", json: ["role": "viewer", "permissions": ["delete"]]).status == 200)
            #expect(try await client.decide("m1", "delete", "generation", "g1").reason == "team_permission:delete")

            #expect(try await client.decide("outsider", "read", "generation", "g1").allowed == false)
            #expect(try await client.patch("/api/v1/projects/p1", json: ["visibility": "public"]).status == 200)
            #expect(try await client.decide("outsider", "read", "generation", "g1").reason == "public_project")

            try await client.create("projects", ["id": "p2", "name": "Private", "owner_id": "outsider"])
            #expect(try await client.patch("/api/v1/generations/g1", json: ["project_id": "p2"]).status == 200)
            #expect(try await client.decide("outsider", "delete", "generation", "g1").reason == "project_owner")
            #expect(try await client.decide("m1", "read", "generation", "g1").allowed == false)
        }
    }

    @Test("data and revision survive a restart")
    func restart() async throws {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let before = try await TestServer.run(dataDirectory: directory) { client in
            try await client.seedSmallDirectory()
            return try await client.decide("m1", "read", "generation", "g1")
        }
        let after = try await TestServer.run(dataDirectory: directory) { client in
            try await client.decide("m1", "read", "generation", "g1")
        }
        #expect(after.allowed == before.allowed && after.reason == before.reason && after.revision == before.revision)
    }
}
