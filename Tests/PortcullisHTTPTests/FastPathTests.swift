import Foundation
import PortcullisTestSupport
import Testing

@testable import PortcullisHTTP

/// The event-loop fast path keeps the full path's contract: same answers, same headers, same counts, same order.
@Suite("Fast path: cached checks answered on the event loop")
struct FastPathTests {
    static var check: [String: Any] { ["user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1"] }

    /// The fast path's counts from the dashboard: (answered, passed on).
    static func figures(_ client: HTTPClient) async throws -> (answered: Int, passedOn: Int) {
        let fastPath = try await client.get("/api/v1/performance/dashboard").json["fast_path"] as? [String: Int]
        return (fastPath?["answered"] ?? -1, fastPath?["passed_on"] ?? -1)
    }

    @Test("a warm check is answered on the fast path with the full path's body and headers")
    func parity() async throws {
        /// The body (canonical JSON, without `took_us`), the header names, and the fast path's (answered, passed on).
        func answer(fastPath: Bool) async throws -> (body: String, headers: Set<String>, answered: Int, passedOn: Int) {
            try await TestServer.run(configure: { $0.fastPath = fastPath }) { client in
                try await client.seedSmallDirectory()
                // The second sighting of a decision is what the cache keeps; the third is served from L1.
                for _ in 0..<3 { _ = try await client.post("/api/v1/authz/check", json: Self.check) }
                let response = try await client.send("POST", "/api/v1/authz/check", body: Array(try JSONSerialization.data(withJSONObject: Self.check)),
                                                     headers: ["X-Request-Id": "parity-1"])
                #expect(response.status == 200)
                #expect(response.header("X-Request-Id") == "parity-1")
                #expect(response.header("X-Route-Class") == "critical_auth")
                #expect(response.header("X-Response-Time")?.hasSuffix("ms") == true)
                #expect(response.header("Content-Type") == "application/json")
                var body = response.json
                body["took_us"] = nil
                #expect((body.removeValue(forKey: "decision_id") as? String)?.count == 24)
                let figures = try await Self.figures(client)
                let text = String(decoding: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]), as: UTF8.self)
                return (text, Set(response.headers.keys), figures.answered, figures.passedOn)
            }
        }
        let fast = try await answer(fastPath: true), full = try await answer(fastPath: false)
        #expect(fast.body.contains(#""cache":"l1""#) && fast.body.contains(#""allowed":true"#), "\(fast.body)")
        #expect(fast.body == full.body)
        #expect(fast.headers == full.headers, "header names differ: \(fast.headers.symmetricDifference(full.headers))")
        #expect(fast.answered >= 1, "the warm check was not answered on the fast path")
        #expect(full.answered == -1 && full.passedOn == -1, "with the fast path off there are no fast-path figures")
    }

    @Test("the bearer credential is read as the full path reads it: the scheme in any case, everything after the first space")
    func bearer() {
        #expect(FastPathService.bearer("Bearer pcs_abc") == "pcs_abc")
        #expect(FastPathService.bearer("bEaReR pcs_abc") == "pcs_abc")
        #expect(FastPathService.bearer("BEARER  two spaces") == " two spaces")
        for refused in [nil, "", "Bearer", "Basic dXNlcg==", "Bearerx pcs_abc", "Bear pcs_abc", "Bearer\tpcs_abc", "@EARER pcs_abc"] {
            #expect(FastPathService.bearer(refused) == nil, "\(String(describing: refused))")
        }
        // The connection's known credential is reused only for the same bytes: U+212A KELVIN SIGN is canonically
        // equivalent to "K", so `==` would call these equal.
        #expect(FastPathService.sameBytes("pcs_Kx", "pcs_Kx"[...]))
        #expect(!FastPathService.sameBytes("pcs_Kx", "pcs_\u{212A}x"[...]) && "pcs_Kx" == "pcs_\u{212A}x")
        #expect(!FastPathService.sameBytes("pcs_Kx", "pcs_Kx2"[...]) && !FastPathService.sameBytes("", "x"[...]) && FastPathService.sameBytes("", ""[...]))
    }

    @Test("a request is counted once, by the path that answered it")
    func countedOnce() async throws {
        try await TestServer.run(configure: { $0.fastPath = true }) { client in
            try await client.seedSmallDirectory()
            for _ in 0..<3 { _ = try await client.post("/api/v1/authz/check", json: Self.check) }
            func counts() async throws -> (requests: Int, decisions: Int) {
                let dashboard = try await client.get("/api/v1/performance/dashboard").json
                let classes = dashboard["route_classes"] as? [String: [String: Any]]
                let operations = dashboard["operations"] as? [String: [String: Any]]
                return (classes?["critical_auth"]?["count"] as? Int ?? -1, operations?["authorization"]?["count"] as? Int ?? -1)
            }
            let before = try await counts(), figuresBefore = try await Self.figures(client)
            for _ in 0..<25 { #expect(try await client.post("/api/v1/authz/check", json: Self.check).json["cache"] as? String == "l1") }
            let batch = try await client.post("/api/v1/authz/check-batch", json: ["checks": [Self.check, Self.check]])
            #expect(batch.status == 200 && (batch.json["results"] as? [[String: Any]])?.count == 2)
            let after = try await counts(), figuresAfter = try await Self.figures(client)
            #expect(figuresAfter.answered - figuresBefore.answered == 26, "\(figuresBefore) → \(figuresAfter)")
            #expect(after.requests - before.requests == 26, "critical_auth requests \(before.requests) → \(after.requests)")
            #expect(after.decisions - before.decisions == 26, "authorization decisions \(before.decisions) → \(after.decisions)")
        }
    }

    @Test("misses and a user's own checks are answered on the fast path; errors and refusals take the full path")
    func fallbacks() async throws {
        try await TestServer.run(configure: { $0.fastPath = true }) { client in
            try await client.seedSmallDirectory()
            let user = try await EndUserTests.signedIn(client, "outsider")
            let before = try await Self.figures(client)
            #expect(try await client.post("/api/v1/authz/check", json: Self.check).json["cache"] as? String == "miss")
            let invalid = try await client.send("POST", "/api/v1/authz/check", body: Array("{not json".utf8))
            #expect(invalid.status == 400 && invalid.errorCode == "invalid_json" && invalid.header("X-Request-Id") != nil)
            #expect(try await client.withBearer("pcs_unknown-key-000000000000000000000000").post("/api/v1/authz/check", json: Self.check).status == 401)
            let hidden: [String: Any] = ["user_id": "outsider", "action": "read", "resource_type": "generation", "resource_id": "g1"]
            for _ in 0..<4 {
                let denied = try await user.post("/api/v1/authz/check", json: hidden)
                #expect(denied.json["reason"] as? String == "no_grant" && denied.json["cache"] as? String == "miss", "\(denied.text)")
            }
            #expect(try await user.post("/api/v1/authz/check", json: Self.check).status == 403)
            let after = try await Self.figures(client)
            #expect(after.passedOn - before.passedOn == 3, "invalid JSON, an unknown key, another user's check: \(before) → \(after)")
            #expect(after.answered - before.answered == 5, "the miss and the user's four concealed denials: \(before) → \(after)")
        }
    }

    @Test("pipelined requests are answered in order even when the fast path could answer a later one first")
    func pipelinedOrder() async throws {
        try await TestServer.run(configure: { $0.fastPath = true }) { client in
            try await client.seedSmallDirectory()
            for _ in 0..<3 { _ = try await client.post("/api/v1/authz/check", json: Self.check) }
            let check = Array(try JSONSerialization.data(withJSONObject: Self.check))
            func request(_ method: String, _ path: String, _ id: String, _ body: [UInt8]) -> [UInt8] {
                Array("\(method) \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestServer.adminKey)\r\nX-Request-Id: \(id)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
            }
            // A write (slow: Hummingbird, a transaction), then a cached check, then a close, all in one send.
            let user = Array(#"{"id":"pipelined","email":"pipelined@example.com"}"#.utf8)
            let bytes = request("POST", "/api/v1/users", "first", user) + request("POST", "/api/v1/authz/check", "second", check)
                + Array("GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Request-Id: third\r\nConnection: close\r\n\r\n".utf8)
            let data = try await SecurityTransportTests.onThread { try LoopbackSocket.exchange(port: client.port, bytes) }
            let text = String(decoding: data, as: UTF8.self)
            let ids = text.components(separatedBy: "\r\n").filter { $0.lowercased().hasPrefix("x-request-id:") }
                .map { $0.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces) }
            #expect(ids == ["first", "second", "third"], "\(text)")
        }
    }

    @Test("health is answered on the fast path with the full path's body and headers")
    func health() async throws {
        func answer(fastPath: Bool) async throws -> (body: String, headers: Set<String>, answered: Int) {
            try await TestServer.run(configure: { $0.fastPath = fastPath }) { client in
                let response = try await client.send("GET", "/api/v1/health", headers: ["X-Request-Id": "health-1"])
                #expect(response.status == 200 && response.header("X-Request-Id") == "health-1")
                #expect(response.header("X-Route-Class") == "ultra_fast")
                return (response.text, Set(response.headers.keys), try await Self.figures(client).answered)
            }
        }
        let fast = try await answer(fastPath: true), full = try await answer(fastPath: false)
        #expect(fast.body == #"{"status":"ok"}"# && fast.body == full.body)
        #expect(fast.headers == full.headers, "header names differ: \(fast.headers.symmetricDifference(full.headers))")
        #expect(fast.answered == 1)
    }

    /// A connection's task waits until the fast path first passes a request on; these connections must still work,
    /// move on to Hummingbird when asked something else, and end with the server.
    @Test("connections the fast path alone has served switch to the full path, and close on shutdown", .timeLimit(.minutes(3)))
    func waitingConnections() async throws {
        let connections = try await TestServer.run(configure: { $0.fastPath = true }) { client in
            try await client.seedSmallDirectory()
            let check = Array(try JSONSerialization.data(withJSONObject: Self.check))
            let checkRequest = Array("POST /api/v1/authz/check HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestServer.adminKey)\r\nContent-Length: \(check.count)\r\n\r\n".utf8) + check
            let silent = try RawConnection(port: client.port), checked = try RawConnection(port: client.port)
            let switching = try RawConnection(port: client.port)
            let before = try await Self.figures(client)
            let (statuses, user) = try await SecurityTransportTests.onThread {
                checked.send(checkRequest)
                let first = try checked.readResponse(timeout: 10).status
                switching.send(checkRequest)
                let second = try switching.readResponse(timeout: 10).status
                switching.send(Array("GET /api/v1/users/m1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestServer.adminKey)\r\n\r\n".utf8))
                let user = try switching.readResponse(timeout: 10)
                switching.send(checkRequest)
                return ([first, second, try switching.readResponse(timeout: 10).status], user)
            }
            #expect(statuses == [200, 200, 200])
            #expect(user.status == 200 && user.json["id"] as? String == "m1", "\(user.status) \(String(decoding: user.body, as: UTF8.self))")
            let after = try await Self.figures(client)
            #expect(after.answered - before.answered == 3, "the three checks: \(before) → \(after)")
            return [silent, checked, switching]
        }
        // The server has stopped (graceful shutdown waited for every connection's task): each connection was closed.
        for connection in connections {
            #expect(connection.waitForClose(timeout: 5))
        }
    }
}
