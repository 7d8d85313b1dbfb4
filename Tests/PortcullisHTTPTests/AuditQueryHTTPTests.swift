import Foundation
import Testing

/// `GET /api/v1/audit/decisions`: filters, newest first, cursor paging, time bounds, bad input; and
/// `GET /api/v1/audit/decisions/{decision_id}`'s 404.
/// Serialized, like `DecisionLogHTTPTests`: one server at a time.
@Suite("Audit: querying the decision log", .serialized)
struct AuditQueryHTTPTests {
    /// Logs (mode `all`) a spread of checks and returns their answers' ids, oldest first, with each check.
    static func logSpread(_ client: HTTPClient) async throws -> [(id: String, check: [String: Any], allowed: Bool)] {
        try await client.seedSmallDirectory()
        let checks = [
            DecisionLogHTTPTests.check("m1"), DecisionLogHTTPTests.check("outsider"), DecisionLogHTTPTests.check("m1", "read", "project", "p1"),
            DecisionLogHTTPTests.check("owner", "manage_members", "team", "t1"), DecisionLogHTTPTests.check("m1", "delete"),
            DecisionLogHTTPTests.check("outsider", "read", "project", "p1"), DecisionLogHTTPTests.check("m1", "download"),
        ]
        var logged: [(id: String, check: [String: Any], allowed: Bool)] = []
        for check in checks {
            let json = try await client.post("/api/v1/authz/check", json: check).json
            logged.append((try #require(json["decision_id"] as? String), check, try #require(json["allowed"] as? Bool)))
        }
        return logged
    }

    static func ids(_ client: HTTPClient, _ query: String) async throws -> [String] {
        try await DecisionLogHTTPTests.entries(client, query).compactMap { $0["decision_id"] as? String }
    }

    @Test("each filter and their combinations return exactly the matching entries, newest first")
    func filters() async throws {
        try await TestServer.run(configure: { $0.decisionLog.mode = .all }) { client in
            let logged = try await Self.logSpread(client)
            func expected(_ keep: ([String: Any], Bool) -> Bool) -> [String] { logged.filter { keep($0.check, $0.allowed) }.map(\.id).reversed() }
            #expect(try await Self.ids(client, "") == expected { _, _ in true })
            #expect(try await Self.ids(client, "user_id=m1") == expected { check, _ in check["user_id"] as? String == "m1" })
            #expect(try await Self.ids(client, "resource_type=project") == expected { check, _ in check["resource_type"] as? String == "project" })
            #expect(try await Self.ids(client, "resource_id=g1") == expected { check, _ in check["resource_id"] as? String == "g1" })
            #expect(try await Self.ids(client, "allowed=false") == expected { _, allowed in !allowed })
            #expect(try await Self.ids(client, "allowed=true&user_id=m1&resource_type=generation&resource_id=g1") == expected { check, allowed in
                allowed && check["user_id"] as? String == "m1" && check["resource_type"] as? String == "generation"
            })
            #expect(try await Self.ids(client, "resource_type=account").isEmpty)
            #expect(try await Self.ids(client, "since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00.5Z").count == logged.count)
            #expect(try await Self.ids(client, "since=2999-01-01T00:00:00Z").isEmpty)
            #expect(try await Self.ids(client, "until=2000-01-01T00:00:00Z").isEmpty)
        }
    }

    @Test("a cursor walks every entry once, newest first, and the last page has no next_cursor")
    func paging() async throws {
        try await TestServer.run(configure: { $0.decisionLog.mode = .all }) { client in
            let logged = try await Self.logSpread(client)
            var seen: [String] = [], cursor: String?, pages = 0
            repeat {
                let page = try await client.get("/api/v1/audit/decisions?limit=3&user_id=m1" + (cursor.map { "&cursor=\($0)" } ?? "")).json
                let items = try #require(page["items"] as? [[String: Any]])
                #expect(items.count <= 3)
                seen += items.compactMap { $0["decision_id"] as? String }
                cursor = page["next_cursor"] as? String
                pages += 1
            } while cursor != nil && pages < 10
            #expect(seen == logged.filter { $0.check["user_id"] as? String == "m1" }.map(\.id).reversed())
            #expect(pages == 2)
        }
    }

    /// Each bad query and the parameter its 400 must name.
    static let badQueries = [
        ("user_id=bad%20id", "user_id"), ("resource_id=", "resource_id"), ("resource_type=folder", "resource_type"),
        ("allowed=maybe", "allowed"), ("since=yesterday", "since"), ("until=2026-13-01T00:00:00Z", "until"), ("limit=0", "limit"),
        ("limit=1001", "limit"), ("cursor=abc", "cursor"), ("cursor=-1", "cursor"),
    ]

    @Test("bad parameters are 400 naming the parameter; an unknown decision id is 404 in the error shape")
    func badParameters() async throws {
        // One server for every case: starting twenty would only load the machine the timing tests share.
        try await TestServer.run { client in
            for (query, field) in Self.badQueries {
                let response = try await client.get("/api/v1/audit/decisions?" + query)
                #expect(response.status == 400 && response.errorCode == "invalid_field", "\(query): \(response.status) \(response.text)")
                #expect(response.errorMessage?.hasPrefix(field) == true, "\(query): \(response.text)")
            }
            for id in ["0000000000000000deadbeef", "not-a-decision-id"] {
                let absent = try await client.get("/api/v1/audit/decisions/\(id)")
                #expect(absent.status == 404 && absent.errorCode == "not_found", "\(absent.text)")
            }
        }
    }
}
