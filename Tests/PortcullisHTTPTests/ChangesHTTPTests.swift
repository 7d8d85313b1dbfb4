import Foundation
import PortcullisCore
import PortcullisHTTP
import Testing

/// SPEC 8.2 over HTTP: `GET /api/v1/changes`, attribution of changes to the caller and the request, bad parameters.
@Suite("Changes: the change log over HTTP")
struct ChangesHTTPTests {
    /// Every change after `since`, following `next_cursor` and `next_since` like a client.
    static func readAll(_ client: HTTPClient, since: String, query: String = "", limit: Int = 1000) async throws -> [[String: Any]] {
        var items: [[String: Any]] = []
        var position = since
        while true {
            let response = try await client.get("/api/v1/changes?since=\(position)&limit=\(limit)\(query)")
            #expect(response.status == 200, "\(response.status) \(response.text)")
            let page = try #require(response.json["items"] as? [[String: Any]])
            if page.isEmpty { return items }
            items += page
            if let cursor = response.json["next_cursor"] as? String {
                position = cursor
            } else {
                position = String(try #require(response.json["next_since"] as? Int))
            }
        }
    }

    /// The id of the environment admin key the test server runs with.
    static func adminKeyId(_ client: HTTPClient) async throws -> String {
        let keys = try #require(try await client.get("/api/v1/api-keys").json["items"] as? [[String: Any]])
        return try #require(keys.first { $0["source"] as? String == "environment" }?["id"] as? String)
    }

    @Test("a write's changes carry its revision, the caller (API key or user) and the request's X-Request-Id")
    func attribution() async throws {
        try await TestServer.run { client in
            let keyId = try await Self.adminKeyId(client)
            let since = try await client.revision()
            let created = try await client.send("POST", "/api/v1/teams", body: Array(#"{"id":"t9","name":"T","owner_id":"admin-u"}"#.utf8))
            #expect(created.status == 422, "an unknown owner: no change")
            try await client.create("users", ["id": "admin-u", "email": "admin-u@example.com", "password": "correct horse battery", "is_admin": true])
            let team = try await client.send("POST", "/api/v1/teams", body: Array(#"{"id":"t9","name":"T","owner_id":"admin-u"}"#.utf8),
                                             headers: ["X-Request-Id": "req-team-9"])
            #expect(team.status == 201)
            let revision = try #require(team.header("X-Portcullis-Revision").flatMap { Int($0) })
            let changes = try await Self.readAll(client, since: String(since))
            let teamChanges = changes.filter { $0["revision"] as? Int == revision }
            #expect(teamChanges.map { $0["entity_id"] as? String } == ["t9", "t9/admin-u"])
            #expect(teamChanges.map { $0["seq"] as? Int } == [0, 1])
            for change in teamChanges {
                #expect(change["request_id"] as? String == "req-team-9")
                let actor = try #require(change["actor"] as? [String: Any])
                #expect(actor["kind"] as? String == "api_key" && actor["id"] as? String == keyId)
                #expect(change["op"] as? String == "create" && change["before"] is NSNull)
            }
            // A user token's writes are the user's.
            let login = try await client.post("/api/v1/auth/login", json: ["email": "admin-u@example.com", "password": "correct horse battery"])
            let token = try #require(login.json["token"] as? String)
            let patched = try await client.withBearer(token).send("PATCH", "/api/v1/teams/t9", body: Array(#"{"name":"Renamed"}"#.utf8),
                                                                 headers: ["X-Request-Id": "req-user-1"])
            #expect(patched.status == 200)
            let patchRevision = try #require(patched.header("X-Portcullis-Revision"))
            let update = try await client.get("/api/v1/changes?since=\(Int(patchRevision)! - 1)&entity=team").json["items"] as? [[String: Any]]
            let change = try #require(update?.first)
            #expect((change["actor"] as? [String: Any])?["kind"] as? String == "user")
            #expect((change["actor"] as? [String: Any])?["id"] as? String == "admin-u")
            #expect(change["request_id"] as? String == "req-user-1")
            #expect((change["before"] as? [String: Any])?["name"] as? String == "T")
            #expect((change["after"] as? [String: Any])?["name"] as? String == "Renamed")
            #expect(!update!.description.contains("pbkdf2"))
            // The count reaches /metrics: the team's create and its rename.
            let metrics = try await client.get("/metrics").text
            #expect(metrics.contains(#"portcullis_changes_total{entity="team"} 2"#), "\(metrics.split(separator: "\n").filter { $0.contains("changes") })")
        }
    }

    @Test("filters and the empty page: next_since is since itself")
    func filtersAndEmptyPage() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let members = try #require(try await client.get("/api/v1/changes?entity=member").json["items"] as? [[String: Any]])
            #expect(members.map { $0["entity_id"] as? String } == ["t1/owner", "t1/m1"])
            let m1 = try #require(try await client.get("/api/v1/changes?entity_id=t1/m1").json["items"] as? [[String: Any]])
            #expect(m1.count == 1)
            let head = try await client.revision()
            let empty = try await client.get("/api/v1/changes?since=\(head)")
            #expect(empty.json["next_since"] as? Int == head && (empty.json["items"] as? [Any])?.isEmpty == true)
            #expect(empty.json["next_cursor"] is NSNull)
        }
    }

    @Test("bad parameters are 400 naming the parameter, never a 500", arguments: [
        ("since=abc", "since"), ("since=-1", "since"), ("since=1:", "since"), ("since=99999999999999999999", "since"),
        ("cursor=x", "cursor"), ("entity=widget", "entity"), ("entity_id=a/b/c", "entity_id"), ("entity_id=%00", "entity_id"),
        ("limit=0", "limit"), ("limit=1001", "limit"), ("limit=ten", "limit"),
    ])
    func badParameters(_ query: String, _ field: String) async throws {
        try await TestServer.run { client in
            for path in ["/api/v1/changes", "/api/v1/changes/stream"] {
                let response = try await client.get("\(path)?\(query)")
                #expect(response.status == 400, "\(path)?\(query): \(response.status) \(response.text)")
                #expect(response.errorCode == "invalid_field" && response.errorMessage?.hasPrefix(field) == true, "\(response.text)")
            }
        }
    }

    @Test("a Last-Event-ID that is not N or N:seq is a 400")
    func badLastEventId() async throws {
        try await TestServer.run { client in
            let response = try await client.send("GET", "/api/v1/changes/stream", headers: ["Last-Event-ID": "7:x"])
            #expect(response.status == 400 && response.errorMessage?.hasPrefix("Last-Event-ID") == true, "\(response.text)")
        }
    }
}
