import Foundation
import Testing

/// SPEC 8.2 over HTTP, on the fast path and the full path: decision ids, what each mode logs, sign-ins and sign-outs,
/// rule paths of cached answers, and a full queue.
/// Serialized: its cases start a dozen servers, which at once would starve the time-bound tests sharing the process.
@Suite("Decision log over HTTP", .serialized)
struct DecisionLogHTTPTests {
    static func check(_ user: String, _ action: String = "read", _ type: String = "generation", _ id: String = "g1",
                      explain: Bool = false) -> [String: Any] {
        ["user_id": user, "action": action, "resource_type": type, "resource_id": id, "explain": explain]
    }

    /// The log's entries (newest first) matching `query`.
    static func entries(_ client: HTTPClient, _ query: String = "") async throws -> [[String: Any]] {
        let response = try await client.get("/api/v1/audit/decisions?limit=1000" + (query.isEmpty ? "" : "&" + query))
        #expect(response.status == 200, "\(response.text)")
        return response.json["items"] as? [[String: Any]] ?? []
    }

    /// A counter's value in `/metrics`.
    static func metric(_ client: HTTPClient, _ name: String) async throws -> Int? {
        let text = try await client.get("/metrics").text
        let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Int(Double($0.split(separator: " ").last ?? "") ?? -1) }
    }

    @Test("every answer carries a decision_id, unique across single checks and batches")
    func decisionIds() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            var ids: [String] = []
            for user in ["m1", "outsider", "m1", "m1"] {
                let response = try await client.post("/api/v1/authz/check", json: Self.check(user))
                #expect(response.status == 200)
                ids.append(try #require(response.json["decision_id"] as? String))
            }
            let checks = [Self.check("m1"), Self.check("outsider"), Self.check("m1")]
            let batch = try await client.post("/api/v1/authz/check-batch", json: ["checks": checks])
            let results = try #require(batch.json["results"] as? [[String: Any]])
            ids += results.compactMap { $0["decision_id"] as? String }
            #expect(ids.count == 7 && Set(ids).count == 7, "\(ids)")
            #expect(ids.allSatisfy { $0.count == 24 && $0.allSatisfy(\.isHexDigit) })
        }
    }

    enum Mode: String, CaseIterable, Sendable {
        case off, denies, all, sampledNone, sampledAll
    }

    @Test("each mode logs exactly what it selects, as it was answered", arguments: Mode.allCases)
    func modes(_ mode: Mode) async throws {
        try await TestServer.run(configure: { settings in
            switch mode {
            case .off: settings.decisionLog.mode = .off
            case .denies: settings.decisionLog.mode = .denies
            case .all: settings.decisionLog.mode = .all
            case .sampledNone: (settings.decisionLog.mode, settings.decisionLog.sampleRate) = (.sampled, 0)
            case .sampledAll: (settings.decisionLog.mode, settings.decisionLog.sampleRate) = (.sampled, 1)
            }
        }) { client in
            try await client.seedSmallDirectory()
            var answers: [String: [String: Any]] = [:]
            for _ in 0..<3 {
                for body in [Self.check("m1"), Self.check("outsider"), Self.check("m1", "delete")] {
                    let json = try await client.post("/api/v1/authz/check", json: body).json
                    answers[try #require(json["decision_id"] as? String)] = json
                }
            }
            let logged = try await Self.entries(client)
            let expected = answers.filter { _, answer in
                switch mode {
                case .off, .sampledNone: false
                case .denies: answer["allowed"] as? Bool == false
                case .all, .sampledAll: true
                }
            }
            #expect(Set(logged.compactMap { $0["decision_id"] as? String }) == Set(expected.keys))
            for entry in logged {
                let answer = try #require(answers[entry["decision_id"] as? String ?? ""])
                #expect(entry["allowed"] as? Bool == answer["allowed"] as? Bool && entry["reason"] as? String == answer["reason"] as? String)
                #expect(entry["revision"] as? Int == answer["revision"] as? Int)
                #expect((entry["caller"] as? [String: Any])?["kind"] as? String == "api_key")
                #expect(entry["resource_type"] as? String == "generation" && entry["resource_id"] as? String == "g1")
                #expect((entry["rules"] as? [Any])?.isEmpty == false)
                let one = try await client.get("/api/v1/audit/decisions/\(entry["decision_id"] as? String ?? "")")
                #expect(one.status == 200 && one.json["decision_id"] as? String == entry["decision_id"] as? String)
            }
        }
    }

    @Test("sign-ins (success, failure, throttled) and sign-outs are logged with the client's address, whatever the mode")
    func accountEntries() async throws {
        try await TestServer.run(configure: { ($0.decisionLog.mode, $0.loginFailuresPerEmail) = (.off, 2) }) { client in
            try await client.seedSmallDirectory()
            let user = try await EndUserTests.signedIn(client, "m1")
            let anonymous = client.withBearer(nil)
            for _ in 0..<2 {
                #expect(try await anonymous.post("/api/v1/auth/login", json: ["email": "m1@example.com", "password": "wrong"]).status == 401)
            }
            #expect(try await anonymous.post("/api/v1/auth/login", json: ["email": "m1@example.com", "password": "wrong"]).status == 429)
            #expect(try await anonymous.post("/api/v1/auth/login", json: ["email": "nobody@example.com", "password": "x"]).status == 401)
            #expect(try await user.post("/api/v1/auth/logout", json: [:]).status == 204)
            let entries = try await Self.entries(client, "resource_type=account").reversed().map { entry in
                "\(entry["action"] as? String ?? "?") \(entry["reason"] as? String ?? "?") \(entry["allowed"] as? Bool ?? false) "
                    + "\(entry["user_id"] as? String ?? "-") \(entry["client_address"] as? String ?? "-") "
                    + "\((entry["caller"] as? [String: Any])?["kind"] as? String ?? "-")"
            }
            #expect(entries == [
                "sign_in signed_in true m1 127.0.0.1 -",
                "sign_in invalid_credentials false m1 127.0.0.1 -",
                "sign_in invalid_credentials false m1 127.0.0.1 -",
                "sign_in throttled false m1 127.0.0.1 -",
                "sign_in invalid_credentials false - 127.0.0.1 -",
                "sign_out signed_out true m1 127.0.0.1 user",
            ], "\(entries)")
            #expect(try await Self.entries(client, "resource_type=generation").isEmpty, "mode off logs no check")
        }
    }

    @Test("an answer served from the cache is logged with the rules of the decision that produced it")
    func cachedRules() async throws {
        try await TestServer.run(configure: { $0.decisionLog.mode = .all }) { client in
            try await client.seedSmallDirectory()
            let explained = try await client.post("/api/v1/authz/check", json: Self.check("m1", explain: true)).json
            let explanation = try #require(explained["explanation"] as? [[String: Any]])
            var cachedId: String?
            for _ in 0..<3 {
                let json = try await client.post("/api/v1/authz/check", json: Self.check("m1")).json
                if json["cache"] as? String == "l1" { cachedId = json["decision_id"] as? String }
            }
            let id = try #require(cachedId, "no answer came from L1")
            let entry = try await client.get("/api/v1/audit/decisions/\(id)").json
            let canonical = { (value: Any) in
                String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
            }
            #expect(try canonical(entry["rules"] ?? []) == canonical(explanation))
            #expect(try canonical(explanation).contains("t1"), "the member's explanation names the team")
        }
    }

    @Test("a full queue drops and counts entries in /metrics; every decision is still answered")
    func queueFull() async throws {
        try await TestServer.run(configure: { settings in
            (settings.decisionLog.mode, settings.decisionLog.queueCapacity, settings.decisionLog.flushInterval) = (.all, 2, .seconds(3600))
        }) { client in
            try await client.seedSmallDirectory()
            for _ in 0..<6 {
                let response = try await client.post("/api/v1/authz/check", json: Self.check("m1"))
                #expect(response.status == 200 && response.json["decision_id"] != nil)
            }
            #expect(try await Self.metric(client, "portcullis_audit_dropped_total") == 4)
            #expect(try await Self.entries(client).count == 2)
            #expect(try await Self.metric(client, "portcullis_audit_decisions_total") == 2)
        }
    }
}
