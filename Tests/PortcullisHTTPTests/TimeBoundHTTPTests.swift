import Foundation
import PortcullisCore
import Testing

/// SPEC 8.3 over real HTTP, on both request paths: bounds on memberships and API keys are validated, stored, listed and
/// applied to the millisecond as the server's clock moves; `as_of` is for administrators; the sweep's `activate` and
/// `expire` changes reach `/api/v1/changes`.
@Suite("Time-bound memberships and keys over HTTP")
struct TimeBoundHTTPTests {
    /// Whole seconds from now, so bounds are exact in RFC 3339 without fractions.
    static let base = WallClock.system.milliseconds() / 1000 * 1000

    /// A clock at `base`; `TestServer.run` runs the body once per request path, and each run sets it back with `reset`.
    static func clock() -> ManualClock { ManualClock(milliseconds: base) }

    static func text(_ milliseconds: Int64) -> String { Timestamp.format(epochMilliseconds: milliseconds) }

    @Test("a bound that is no RFC 3339 UTC timestamp, or expires_at not after starts_at, is a 400 naming the field; nothing changes")
    func validation() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let revision = try await client.revision()
            for (body, field) in [
                (["role": "editor", "starts_at": "tomorrow"], "starts_at"),
                (["role": "editor", "expires_at": "2030-02-30T00:00:00Z"], "expires_at"),
                (["role": "editor", "expires_at": "2030-01-01T00:00:00+02:00"], "expires_at"),
                (["role": "editor", "starts_at": "2030-01-01T00:00:00Z", "expires_at": "2030-01-01T00:00:00Z"], "expires_at"),
                (["role": "editor", "starts_at": "2030-01-02T00:00:00Z", "expires_at": "2030-01-01T00:00:00Z"], "expires_at"),
            ] {
                let response = try await client.put("/api/v1/teams/t1/members/m1", json: body)
                #expect(response.status == 400, "\(body): \(response.status) \(response.text)")
                let message = (response.json["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.hasPrefix("\(field):"), "\(body): \(message)")
            }
            #expect(try await client.revision() == revision, "a refused write changed nothing")
            let key = try await client.post("/api/v1/api-keys", json: ["name": "past", "expires_at": "2001-01-01T00:00:00Z"])
            #expect(key.status == 400 && key.text.contains("expires_at"))
        }
    }

    @Test("a membership grants from starts_at to just before expires_at, in checks, listings and /me, as the clock moves")
    func window() async throws {
        let time = Self.clock()
        let start = time.milliseconds + 60_000, end = start + 60_000
        try await TestServer.run(configure: { $0.clock = time.clock }) { client in
            time.set(milliseconds: Self.base)
            try await client.seedSmallDirectory()
            let member = try await client.put("/api/v1/teams/t1/members/m1",
                                              json: ["role": "editor", "starts_at": Self.text(start), "expires_at": Self.text(end)])
            #expect(member.status == 200, "\(member.text)")
            #expect(member.json["starts_at"] as? String == Self.text(start) && member.json["expires_at"] as? String == Self.text(end))
            let listed = try await client.get("/api/v1/teams/t1/members").json["items"] as? [[String: Any]] ?? []
            #expect(listed.first { $0["user_id"] as? String == "m1" }?["expires_at"] as? String == Self.text(end), "\(listed)")
            let m1 = try await EndUserTests.signedIn(client, "m1")
            for (instant, granted) in [(start - 1, false), (start, true), (start + 1, true), (end - 1, true), (end, false), (end + 1, false)] {
                time.advance(milliseconds: instant - time.milliseconds)
                for _ in 0..<3 {   // cached after the first: no layer answers across a bound
                    let decision = try await client.decide("m1", "update", "generation", "g1")
                    #expect(decision.allowed == granted, "update at \(instant - start) ms from the start: \(decision)")
                }
                let resources = try await client.get("/api/v1/authz/resources?user_id=m1&resource_type=project&action=create_generation")
                #expect((resources.json["ids"] as? [String] ?? []).contains("p1") == granted, "\(instant - start): \(resources.text)")
                let subjects = try await client.get("/api/v1/authz/subjects?resource_type=generation&resource_id=g1&action=update")
                #expect((subjects.json["user_ids"] as? [String] ?? []).contains("m1") == granted, "\(instant - start): \(subjects.text)")
                let me = try await m1.get("/api/v1/me").json["teams"] as? [[String: Any]] ?? []
                #expect(me.contains { $0["team_id"] as? String == "t1" } == (instant < end), "/me at \(instant - start): \(me)")
            }
        }
    }

    @Test("explain says which bound applied")
    func explain() async throws {
        let time = Self.clock()
        let start = time.milliseconds + 60_000
        try await TestServer.run(configure: { $0.clock = time.clock }) { client in
            time.set(milliseconds: Self.base)
            try await client.seedSmallDirectory()
            _ = try await client.put("/api/v1/teams/t1/members/m1", json: ["role": "viewer", "starts_at": Self.text(start)])
            let response = try await client.post("/api/v1/authz/check",
                                                  json: ["user_id": "m1", "action": "read", "resource_type": "project", "resource_id": "p1", "explain": true])
            let details = (response.json["explanation"] as? [[String: Any]] ?? []).compactMap { $0["detail"] as? String }
            #expect(details.contains("user's membership of team 't1' starts at \(Self.text(start))"), "\(details)")
        }
    }

    @Test("as_of: an administrator asks about a time ahead, never cached; other callers get 403; out of range is 400")
    func asOf() async throws {
        let time = Self.clock()
        let start = time.milliseconds + 3_600_000
        try await TestServer.run(configure: { $0.clock = time.clock }) { client in
            time.set(milliseconds: Self.base)
            try await client.seedSmallDirectory()
            _ = try await client.put("/api/v1/teams/t1/members/m1", json: ["role": "editor", "starts_at": Self.text(start)])
            let question: [String: Any] = ["user_id": "m1", "action": "update", "resource_type": "generation", "resource_id": "g1",
                                           "as_of": Self.text(start)]
            for _ in 0..<2 {
                let response = try await client.post("/api/v1/authz/check", json: question)
                #expect(response.status == 200, "\(response.text)")
                #expect(response.json["allowed"] as? Bool == true && response.json["cache"] as? String == "miss")
                #expect(response.json["as_of"] as? String == Self.text(start))
            }
            #expect(try await client.decide("m1", "update", "generation", "g1").allowed == false, "now, it is not granted")
            let batch = try await client.post("/api/v1/authz/check-batch", json: ["checks": [question]])
            #expect((batch.json["results"] as? [[String: Any]])?.first?["allowed"] as? Bool == true, "\(batch.text)")
            // A what-if deny is logged (the default mode logs denies) with the instant it was about.
            var early = question
            early["as_of"] = Self.text(start - 1000)
            let denied = try await client.post("/api/v1/authz/check", json: early)
            #expect(denied.json["allowed"] as? Bool == false)
            let logged = try await client.get("/api/v1/audit/decisions/\(denied.json["decision_id"] as? String ?? "")")
            #expect(logged.json["as_of"] as? String == Self.text(start - 1000), "\(logged.text)")

            let authz = try await client.post("/api/v1/api-keys", json: ["name": "svc", "scopes": ["authz"]])
            let service = client.withBearer(try #require(authz.json["key"] as? String))
            #expect(try await service.post("/api/v1/authz/check", json: question).status == 403)
            var own = question
            own["user_id"] = "m1"
            #expect(try await EndUserTests.signedIn(client, "m1").post("/api/v1/authz/check", json: own).status == 403)

            for outside in [time.milliseconds - 3_600_000, time.milliseconds + 31 * 86_400_000] {
                var late = question
                late["as_of"] = Self.text(outside)
                let response = try await client.post("/api/v1/authz/check", json: late)
                #expect(response.status == 400 && response.text.contains("as_of"), "\(response.text)")
            }
        }
    }

    @Test("consistency: the caller's own write's revision is reflected; a revision not reached is a 400; minimize_latency says bounded")
    func consistency() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let write = try await client.put("/api/v1/teams/t1/members/m1", json: ["role": "editor"])
            let revision = try #require(Int(write.header("X-Portcullis-Revision") ?? ""))
            var question: [String: Any] = ["user_id": "m1", "action": "update", "resource_type": "generation", "resource_id": "g1",
                                           "consistency": ["at_least_revision": revision]]
            let response = try await client.post("/api/v1/authz/check", json: question)
            #expect(response.status == 200 && response.json["allowed"] as? Bool == true, "\(response.text)")
            #expect(response.json["revision"] as? Int ?? 0 >= revision)
            question["consistency"] = ["at_least_revision": revision + 1000]
            let ahead = try await client.post("/api/v1/authz/check", json: question)
            #expect(ahead.status == 400 && ahead.text.contains("consistency"), "\(ahead.text)")
            question["consistency"] = "minimize_latency"
            let bounded = try await client.post("/api/v1/authz/check", json: question)
            #expect(bounded.json["consistency"] as? String == "bounded", "\(bounded.text)")
            question["consistency"] = ["at_least_revision": -1]
            #expect(try await client.post("/api/v1/authz/check", json: question).status == 400)
            question["consistency"] = "eventual"
            #expect(try await client.post("/api/v1/authz/check", json: question).status == 400)
        }
    }

    @Test("an API key created with expires_at answers until then and is 401 from that millisecond on")
    func apiKeyExpiry() async throws {
        let time = Self.clock()
        let end = time.milliseconds + 60_000
        try await TestServer.run(configure: { $0.clock = time.clock }) { client in
            time.set(milliseconds: Self.base)
            try await client.seedSmallDirectory()
            let created = try await client.post("/api/v1/api-keys", json: ["name": "contractor", "scopes": ["authz"], "expires_at": Self.text(end)])
            #expect(created.status == 201 && created.json["expires_at"] as? String == Self.text(end), "\(created.status) \(created.text)")
            let key = client.withBearer(try #require(created.json["key"] as? String))
            let question: [String: Any] = ["user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1"]
            time.advance(milliseconds: end - 1 - time.milliseconds)
            for _ in 0..<2 { #expect(try await key.post("/api/v1/authz/check", json: question).status == 200) }
            time.advance(milliseconds: 1)
            #expect(try await key.post("/api/v1/authz/check", json: question).status == 401)
            let listed = try await client.get("/api/v1/api-keys").json["items"] as? [[String: Any]] ?? []
            #expect(listed.first { $0["name"] as? String == "contractor" }?["expires_at"] as? String == Self.text(end))
        }
    }

    @Test("the sweep records activate and expire in the change log, after the membership's own write")
    func sweepChanges() async throws {
        let time = Self.clock()
        try await TestServer.run(configure: { $0.clock = time.clock }) { client in
            // The clock only moves forward here (the sweep's watermark follows it): bounds ahead of where it stands.
            let start = time.milliseconds + 60_000, end = start + 60_000
            try await client.seedSmallDirectory()
            let put = try await client.put("/api/v1/teams/t1/members/m1",
                                           json: ["role": "editor", "starts_at": Self.text(start), "expires_at": Self.text(end)])
            let since = try #require(Int(put.header("X-Portcullis-Revision") ?? ""))
            time.advance(milliseconds: end + 1 - time.milliseconds)
            // The sweep runs every second: wait for both records (bounded), reading the log rather than sleeping a guess.
            var ops: [String] = []
            let deadline = ContinuousClock.now + .seconds(20)
            while ops.count < 2 && ContinuousClock.now < deadline {
                let changes = try await client.get("/api/v1/changes?since=\(since)&entity=member")
                ops = (changes.json["items"] as? [[String: Any]] ?? []).compactMap { $0["op"] as? String }
                if ops.count < 2 { try await Task.sleep(for: .milliseconds(100)) }
            }
            let log = try await client.get("/api/v1/changes?since=\(since)").text
            #expect(ops == ["activate", "expire"], "\(log)")
            let items = try await client.get("/api/v1/changes?since=\(since)&entity=member").json["items"] as? [[String: Any]] ?? []
            #expect(items.allSatisfy { ($0["actor"] as? [String: Any])?["kind"] as? String == "system" && $0["entity_id"] as? String == "t1/m1" })
            // The clock jumped past both bounds, so one sweep recorded both in one new revision.
            #expect(Set(items.compactMap { $0["revision"] as? Int }).count == 1 && items.allSatisfy { $0["revision"] as? Int ?? 0 > since })
        }
    }

    @Test("import takes a membership's bounds; an invalid one is a line error and nothing is stored")
    func importBounds() async throws {
        try await TestServer.run { client in
            let lines = [
                #"{"type":"user","id":"a","email":"a@example.com"}"#,
                #"{"type":"user","id":"b","email":"b@example.com"}"#,
                #"{"type":"team","id":"t","name":"T","owner_id":"a"}"#,
                #"{"type":"member","team_id":"t","user_id":"b","role":"viewer","starts_at":"2030-01-01T00:00:00Z","expires_at":"2030-02-01T00:00:00.5Z"}"#,
            ]
            let response = try await client.send("POST", "/api/v1/import", body: Array(lines.joined(separator: "\n").utf8),
                                                  contentType: "application/x-ndjson")
            #expect(response.status == 200, "\(response.text)")
            let members = try await client.get("/api/v1/teams/t/members").json["items"] as? [[String: Any]] ?? []
            let b = members.first { $0["user_id"] as? String == "b" }
            #expect(b?["starts_at"] as? String == "2030-01-01T00:00:00.000Z" && b?["expires_at"] as? String == "2030-02-01T00:00:00.500Z")

            let bad = [#"{"type":"user","id":"c","email":"c@example.com"}"#,
                       #"{"type":"member","team_id":"t","user_id":"c","role":"viewer","starts_at":"2030-01-02T00:00:00Z","expires_at":"2030-01-01T00:00:00Z"}"#]
            let refused = try await client.send("POST", "/api/v1/import", body: Array(bad.joined(separator: "\n").utf8),
                                                 contentType: "application/x-ndjson")
            #expect(refused.status == 422 && refused.text.contains("expires_at"), "\(refused.text)")
            #expect(try await client.get("/api/v1/users/c").status == 404)
        }
    }
}
