import Foundation
import PortcullisCore
import Testing

@Suite("Load shedding: background and normal traffic first, critical and health keep answering, recovery by itself")
struct LoadSheddingTests {
    /// Polls the public performance health endpoint (never shed) until `in_flight` reaches `count`, for at most 20 s
    /// (a bound for a loaded machine, not a wait: it returns as soon as the count is seen).
    static func waitForInFlight(_ client: HTTPClient, _ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let health = try await client.get("/api/v1/performance/health")
            let components = health.json["components"] as? [String: Any]
            let detail = (components?["load_shedding"] as? [String: Any])?["detail"] as? [String: String]
            if detail?["in_flight"] == String(count) { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("the server never had \(count) requests in flight")
    }

    static func expectShed(_ response: HTTPClient.Response, routeClass: String) {
        #expect(response.status == 503, "\(response.text)")
        #expect(response.errorCode == "overloaded")
        #expect(response.errorMessage != nil)
        #expect(Int(response.header("Retry-After") ?? "") ?? 0 >= 1)
        #expect(response.header("X-Route-Class") == routeClass)
        #expect(response.header("X-Request-Id")?.isEmpty == false)
        #expect(response.header("X-Response-Time")?.hasSuffix("ms") == true)
    }

    @Test("with two slow requests in flight and a limit of two, normal and background get 503; checks and health answer")
    func overload() async throws {
        let time = ManualClock()
        try await TestServer.run(configure: { settings in
            settings.maxInFlight = 2
            settings.clock = time.clock
        }) { client in
            try await client.seedSmallDirectory()
            // Sign-ins (critical_auth) are never shed, so the held requests and the polls below cannot shed each other
            // whichever the server admits first.
            let held = try (0..<2).map { index in
                try HeldRequest(port: client.port, method: "POST", path: "/api/v1/auth/login", bearer: TestServer.adminKey,
                                body: #"{"email":"held\#(index)@example.com","password":"not-the-password"}"#)
            }
            // The two held requests plus the health request itself.
            try await Self.waitForInFlight(client, 3)

            Self.expectShed(try await client.get("/api/v1/users"), routeClass: "normal")
            Self.expectShed(try await client.send("POST", "/api/v1/import", body: Array("{}".utf8), contentType: "application/x-ndjson"),
                            routeClass: "background")
            let check = try await client.post("/api/v1/authz/check", json: ["user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1"])
            #expect(check.status == 200, "critical_auth keeps answering: \(check.text)")
            #expect(try await client.get("/api/v1/health").status == 200)

            for request in held { #expect(await request.finish() == 401) }
            try await Self.waitForInFlight(client, 1)

            // The breaker stays open for 30 s after the overload, even with the load gone.
            Self.expectShed(try await client.get("/api/v1/users"), routeClass: "normal")
            let health = try await client.get("/api/v1/performance/health")
            #expect(health.json["status"] as? String == "degraded")

            // Then it half-opens: one probe goes through and, the load being low, closes it.
            time.advance(seconds: 31)
            #expect(try await client.get("/api/v1/users").status == 200)
            #expect(try await client.get("/api/v1/users").status == 200)
            let after = try await client.get("/api/v1/performance/health")
            #expect(after.json["status"] as? String == "ok", "\(after.text)")

            let metrics = try await client.get("/api/v1/performance/dashboard")
            let shedding = metrics.json["load_shedding"] as? [String: Any]
            #expect(shedding?["trips"] as? Int == 1)
            let shed = shedding?["shed"] as? [String: Int]
            #expect(shed?["normal"] == 2)
            #expect(shed?["background"] == 1)
        }
    }

    @Test("background traffic yields first: shed above half the limit while normal traffic is still admitted")
    func backgroundFirst() async throws {
        try await TestServer.run(configure: { settings in settings.maxInFlight = 4 }) { client in
            let held = try (0..<2).map { index in
                try HeldRequest(port: client.port, method: "POST", path: "/api/v1/users", bearer: TestServer.adminKey,
                                body: #"{"id":"held\#(index)","email":"held\#(index)@example.com"}"#)
            }
            try await Self.waitForInFlight(client, 3)
            Self.expectShed(try await client.get("/api/v1/performance/dashboard"), routeClass: "background")
            #expect(try await client.get("/api/v1/users").status == 200, "normal is still under the limit")
            for request in held { #expect(await request.finish() == 201) }
        }
    }
}
