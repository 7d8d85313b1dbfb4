import Foundation
import Testing

@Suite("NDJSON import over HTTP: all or nothing")
struct ImportHTTPTests {
    static let good = [
        #"{"type":"user","id":"a","email":"a@example.com","password":"password-a"}"#,
        #"{"type":"user","id":"b","email":"b@example.com","status":"disabled"}"#,
        #"{"type":"team","id":"t","name":"T","owner_id":"a"}"#,
        #"{"type":"member","team_id":"t","user_id":"b","role":"editor","permissions":["delete"]}"#,
        #"{"type":"project","id":"p","name":"P","owner_id":"a","team_id":"t","visibility":"team"}"#,
        #"{"type":"generation","id":"g","owner_id":"a","project_id":"p","status":"completed","media_key":"m/g.png"}"#,
        #"{"type":"generation","id":"gone","owner_id":"a","deleted_at":"2025-01-01T00:00:00Z"}"#,
    ]

    @Test("a good file imports every entity and reports counts")
    func goodImport() async throws {
        try await TestServer.run { client in
            let response = try await client.send("POST", "/api/v1/import", body: Array(Self.good.joined(separator: "\n").utf8),
                                                 contentType: "application/x-ndjson")
            #expect(response.status == 200, "\(response.text)")
            let imported = try #require(response.json["imported"] as? [String: Int])
            #expect(imported == ["users": 2, "teams": 1, "members": 1, "projects": 1, "generations": 2])
            #expect(response.header("X-Portcullis-Revision") != nil)
            #expect(try await client.get("/api/v1/generations/gone").status == 404)
            #expect(try await client.decide("a", "read", "generation", "g").reason == "owner")
            #expect(try await client.decide("b", "read", "generation", "g").reason == "user_inactive")
        }
    }

    @Test("one bad line stores nothing and names the line", arguments: [
        (#"{"type":"generation","id":"x","owner_id":"ghost"}"#, "owner_id"),
        (#"{"type":"user","id":"a","email":"dup@example.com"}"#, "already exists"),
        (#"{"type":"gizmo","id":"x"}"#, "type"),
        (#"{"type":"user","id":"x","email":"x@example.com","shoe_size":9}"#, "shoe_size"),
        (#"{"type":"user", broken"#, "JSON"),
    ])
    func badLine(line: String, mention: String) async throws {
        try await TestServer.run { client in
            let before = try await client.revision()
            var lines = Self.good
            lines.insert(line, at: 3)
            let response = try await client.send("POST", "/api/v1/import", body: Array(lines.joined(separator: "\n").utf8),
                                                 contentType: "application/x-ndjson")
            #expect(response.status == 422, "\(response.text)")
            #expect(response.errorCode == "invalid_import")
            let details = try #require((response.json["error"] as? [String: Any])?["details"] as? [[String: Any]])
            #expect(details.first?["line"] as? Int == 4)
            #expect((details.first?["message"] as? String)?.contains(mention) == true, "\(details)")
            #expect(try await client.revision() == before)
            #expect(try await client.get("/api/v1/users/a").status == 404)
        }
    }
}
