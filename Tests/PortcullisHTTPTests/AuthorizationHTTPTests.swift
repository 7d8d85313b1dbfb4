import Foundation
import Testing

@Suite("Authorization endpoints over HTTP")
struct AuthorizationHTTPTests {
    @Test("check answers with reason, cache, took_us and revision; explain lists the rules")
    func check() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let response = try await client.post("/api/v1/authz/check", json: [
                "user_id": "m1", "action": "download", "resource_type": "generation", "resource_id": "g1", "explain": true,
            ])
            #expect(response.status == 200)
            let json = response.json
            #expect(json["allowed"] as? Bool == true)
            #expect(json["reason"] as? String == "team_role:viewer")
            #expect(json["cache"] as? String == "miss")
            #expect(json["took_us"] is Int)
            #expect(json["revision"] as? Int ?? 0 > 0)
            let steps = try #require(json["explanation"] as? [[String: Any]])
            #expect(steps.map { $0["rule"] as? String ?? "" } == ["user_active", "resource_exists", "admin", "owner", "project_owner", "team_membership"])
            #expect(steps.last?["outcome"] as? String == "allow")

            let denied = try await client.decide("m1", "delete", "generation", "g1")
            #expect(!denied.allowed && denied.reason == "no_grant")
            #expect(try await client.decide("outsider", "read", "generation", "g1").reason == "no_grant")
            #expect(try await client.decide("ghost", "read", "generation", "g1").reason == "user_inactive")
            #expect(try await client.decide("m1", "read", "generation", "ghost").reason == "not_found")
            #expect(try await client.decide("owner", "delete", "generation", "g1").reason == "owner")
            #expect(try await client.decide("m1", "read", "project", "p1").reason == "team_role:viewer")
            #expect(try await client.decide("m1", "manage_members", "team", "t1").reason == "no_grant")
            #expect(try await client.decide("owner", "manage_members", "team", "t1").reason == "team_role:owner")
        }
    }

    @Test("check-batch: results in request order at one revision; empty → empty; over 1,000 → 400")
    func batch() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let checks: [[String: Any]] = [
                ["user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1"],
                ["user_id": "m1", "action": "delete", "resource_type": "generation", "resource_id": "g1"],
                ["user_id": "owner", "action": "delete", "resource_type": "project", "resource_id": "p1"],
            ]
            let response = try await client.post("/api/v1/authz/check-batch", json: ["checks": checks])
            let results = try #require(response.json["results"] as? [[String: Any]])
            #expect(results.map { $0["allowed"] as? Bool } == [true, false, true])
            #expect(results.map { $0["reason"] as? String } == ["team_role:viewer", "no_grant", "project_owner"])
            #expect(Set(results.map { $0["revision"] as? Int }).count == 1)

            let empty = try await client.post("/api/v1/authz/check-batch", json: ["checks": []])
            #expect(empty.status == 200 && (empty.json["results"] as? [Any])?.isEmpty == true)
            let tooMany = try await client.post("/api/v1/authz/check-batch", json: ["checks": Array(repeating: checks[0], count: 1001)])
            #expect(tooMany.status == 400 && tooMany.errorMessage?.contains("checks") == true)
            let badItem = try await client.post("/api/v1/authz/check-batch", json: ["checks": [checks[0], ["user_id": "m1"]]])
            #expect(badItem.status == 400 && badItem.errorMessage?.contains("checks[1]") == true)
        }
    }

    @Test("resources and subjects page through everything, consistent with check")
    func listings() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            for index in 0..<7 {
                try await client.create("generations", ["id": "g-extra-\(index)", "owner_id": index % 2 == 0 ? "owner" : "m1", "project_id": "p1"])
            }
            var ids: [String] = []
            var cursor: String?
            repeat {
                let response = try await client.get("/api/v1/authz/resources?user_id=m1&resource_type=generation&action=read&limit=3"
                    + (cursor.map { "&cursor=\($0)" } ?? ""))
                #expect(response.status == 200)
                ids += response.json["ids"] as? [String] ?? []
                cursor = response.json["next_cursor"] as? String
            } while cursor != nil
            #expect(ids.count == Set(ids).count)
            #expect(Set(ids) == Set(["g1"] + (0..<7).map { "g-extra-\($0)" }))

            let deletable = try await client.get("/api/v1/authz/resources?user_id=m1&resource_type=generation&action=delete")
            #expect(Set(deletable.json["ids"] as? [String] ?? []) == Set([1, 3, 5].map { "g-extra-\($0)" }))

            let subjects = try await client.get("/api/v1/authz/subjects?resource_type=generation&resource_id=g1&action=read")
            #expect(Set(subjects.json["user_ids"] as? [String] ?? []) == ["owner", "m1"])
        }
    }
}

@Suite("Decisions report the cache layer that answered")
struct CacheLayerHTTPTests {
    @Test("miss, miss (admitted on its second sighting), then l1; a write makes the next answer a miss again, reflecting it")
    func layers() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let body: [String: Any] = ["user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1"]
            #expect(try await client.post("/api/v1/authz/check", json: body).json["cache"] as? String == "miss")
            #expect(try await client.post("/api/v1/authz/check", json: body).json["cache"] as? String == "miss")
            let hit = try await client.post("/api/v1/authz/check", json: body)
            #expect(hit.json["cache"] as? String == "l1" && hit.json["allowed"] as? Bool == true)
            let write = try await client.delete("/api/v1/teams/t1/members/m1")
            let after = try await client.post("/api/v1/authz/check", json: body)
            #expect(after.json["cache"] as? String == "miss" && after.json["allowed"] as? Bool == false)
            #expect(after.json["revision"] as? Int ?? 0 >= Int(write.header("X-Portcullis-Revision") ?? "") ?? .max)
            var explained = body
            explained["explain"] = true
            #expect(try await client.post("/api/v1/authz/check", json: explained).json["cache"] as? String == "miss")
        }
    }
}
