import Foundation
import PortcullisCore
import PortcullisHTTP
import Testing

@Suite("Performance endpoints and /metrics: SPEC section 4 shapes, and figures that match what happened")
struct PerformanceHTTPTests {
    static let adminOnly = ["/api/v1/performance/dashboard", "/api/v1/performance/metrics", "/api/v1/performance/validate",
                            "/api/v1/performance/test", "/api/v1/performance/queries", "/metrics"]

    @Test("health is public; the rest needs an administrator")
    func access() async throws {
        try await TestServer.run { client in
            let anonymous = client.withBearer(nil)
            let health = try await anonymous.get("/api/v1/performance/health")
            #expect(health.status == 200)
            #expect(health.json["status"] as? String == "ok")
            #expect(health.json["version"] as? String == PortcullisVersion.current)
            #expect(health.json["uptime_seconds"] is Double)
            let components = try #require(health.json["components"] as? [String: Any])
            #expect(Set(components.keys).isSuperset(of: ["database", "cache_l1", "cache_l2", "cache_l3", "load_shedding"]))
            #expect(health.header("X-Route-Class") == "ultra_fast")
            for path in Self.adminOnly {
                let response = try await anonymous.get(path)
                #expect(response.status == 401, "\(path)")
                #expect(response.errorCode == "unauthorized")
                #expect(response.header("X-Route-Class") == "background")
            }
        }
    }

    @Test("after N checks the dashboard counts N decisions, and the statements ran N times")
    func countsAreTrue() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let checks = 9
            for _ in 0..<checks {
                // explain: true is always evaluated, so each check also runs its statements.
                let response = try await client.post("/api/v1/authz/check", json: [
                    "user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1", "explain": true,
                ])
                #expect(response.status == 200)
            }
            let dashboard = try await client.get("/api/v1/performance/dashboard")
            #expect(dashboard.status == 200)
            let json = dashboard.json
            let operations = try #require(json["operations"] as? [String: [String: Any]])
            #expect(Set(operations.keys) == ["authorization", "authentication", "database_query", "cache_operation", "api_endpoint"])
            #expect(operations["authorization"]?["count"] as? Int == checks)
            #expect(operations["database_query"]?["count"] as? Int ?? 0 >= checks)
            for key in ["p50_ms", "p95_ms", "p99_ms", "max_ms", "per_second"] { #expect(operations["authorization"]?[key] is Double, "\(key)") }
            let routeClasses = try #require(json["route_classes"] as? [String: [String: Any]])
            #expect(Set(routeClasses.keys) == ["ultra_fast", "critical_auth", "fast", "normal", "background"])
            #expect(routeClasses["critical_auth"]?["count"] as? Int == checks)
            for key in ["cache", "database", "alerts", "recommendations", "system", "load_shedding"] { #expect(json[key] != nil, "\(key)") }
            let system = try #require(json["system"] as? [String: Any])
            #expect((system["rss_bytes"] as? Int ?? 0) > 0)
            #expect((system["open_files"] as? Int ?? 0) > 0)
            #expect((system["database_bytes"] as? Int ?? 0) > 0)

            let queries = try await client.get("/api/v1/performance/queries")
            let statements = try #require(queries.json["queries"] as? [[String: Any]])
            let generation = try #require(statements.first { $0["name"] as? String == "authz.decide_generation" })
            #expect(generation["calls"] as? Int == checks)
            #expect(generation["class"] as? String == "critical")
            #expect(generation["uses_index"] as? Bool == true)
            #expect((generation["plan"] as? [String])?.isEmpty == false)
            for key in ["p50_ms", "p99_ms", "slow_count"] { #expect(generation[key] != nil, "\(key)") }
            #expect(statements.filter { ($0["name"] as? String ?? "").hasPrefix("authz.") }.allSatisfy { $0["class"] as? String == "critical" })
            let statementCache = try #require(queries.json["statement_cache"] as? [String: Any])
            #expect(statementCache["capacity"] as? Int == 500)
            #expect((statementCache["hit_rate"] as? Double ?? 0) > 0)
            #expect(queries.json["recommendations"] as? [Any] != nil)
        }
    }

    @Test("validate: one entry per SPEC section 6 target, judged from live figures")
    func validate() async throws {
        try await TestServer.run { client in
            let before = try await client.get("/api/v1/performance/validate")
            let empty = try #require(before.json["targets"] as? [[String: Any]])
            #expect(empty.first { $0["name"] as? String == "authorization_check" }?["status"] as? String == "no_data")
            #expect(empty.allSatisfy { $0.keys.contains("current") }, "current is present, null when there is no data")

            try await client.seedSmallDirectory()
            for _ in 0..<5 {
                _ = try await client.post("/api/v1/authz/check", json: ["user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1"])
            }
            let response = try await client.get("/api/v1/performance/validate")
            let targets = try #require(response.json["targets"] as? [[String: Any]])
            #expect(targets.map { $0["name"] as? String } == [
                "authorization_check", "user_authentication", "generation_access", "media_url", "cache_hit_rate", "concurrent_clients",
                "requests_per_second",
            ])
            for target in targets {
                #expect(["ms", "%", "req/s", "connections"].contains(target["unit"] as? String ?? ""), "\(target)")
                #expect(["pass", "fail", "no_data"].contains(target["status"] as? String ?? ""), "\(target)")
                #expect(target["target"] is Double || target["target"] is Int)
            }
            let authorization = try #require(targets.first { $0["name"] as? String == "authorization_check" })
            #expect(authorization["status"] as? String == "pass")
            #expect((authorization["current"] as? Double ?? 1000) < 75)
            #expect(authorization["target"] as? Int == 75)
        }
    }

    @Test("test times each component for real")
    func syntheticTest() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let response = try await client.get("/api/v1/performance/test")
            #expect(response.status == 200)
            let timings = try #require(response.json["timings"] as? [[String: Any]])
            #expect(Set(timings.compactMap { $0["component"] as? String }) == [
                "cache_l1", "cache_l2", "cache_l3", "database_query", "full_check_evaluated", "full_check_cached",
            ])
            for timing in timings {
                #expect(timing["iterations"] as? Int == 200)
                #expect((timing["p50_us"] as? Double ?? 0) > 0, "\(timing)")
            }
            // The synthetic checks are not counted as live decisions.
            let dashboard = try await client.get("/api/v1/performance/dashboard")
            let operations = dashboard.json["operations"] as? [String: [String: Any]]
            #expect(operations?["authorization"]?["count"] as? Int == 0)
        }
    }

    @Test("metrics: the figures behind the dashboard, with completed buckets per operation")
    func metrics() async throws {
        try await TestServer.run { client in
            let response = try await client.get("/api/v1/performance/metrics")
            #expect(response.status == 200)
            for key in ["monitor", "buckets", "cache", "statement_cache", "load_shedding", "system", "alerts"] { #expect(response.json[key] != nil, "\(key)") }
            let buckets = try #require(response.json["buckets"] as? [String: [Any]])
            #expect(buckets["authorization"]?.count == 10)
        }
    }

    @Test("/metrics is Prometheus text; public only when configured")
    func prometheus() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            _ = try await client.post("/api/v1/authz/check", json: ["user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1"])
            let response = try await client.get("/metrics")
            #expect(response.status == 200)
            #expect(response.header("Content-Type")?.hasPrefix("text/plain") == true)
            let text = response.text
            #expect(text.contains("# TYPE portcullis_operation_latency_seconds summary"))
            #expect(text.contains("# TYPE portcullis_operation_duration_seconds histogram"))
            #expect(text.contains(#"portcullis_operation_window_samples{operation="authorization"} 1"#), "\(text.prefix(2000))")
            #expect(text.contains(#"portcullis_query_calls_total{statement="authz.decide_generation",class="critical"}"#))
            #expect(text.contains("portcullis_statement_cache_hits_total"))
            #expect(text.contains("portcullis_process_resident_memory_bytes"))
        }
        try await TestServer.run(configure: { $0.metricsPublic = true }) { client in
            let metrics = try await client.withBearer(nil).get("/metrics")
            #expect(metrics.status == 200)
            let dashboard = try await client.withBearer(nil).get("/api/v1/performance/dashboard")
            #expect(dashboard.status == 401)
        }
    }

    @Test("with the monitor off the endpoints answer, nothing is timed, and headers stay")
    func monitorOff() async throws {
        try await TestServer.run(configure: { $0.monitorEnabled = false }) { client in
            try await client.seedSmallDirectory()
            let check = try await client.post("/api/v1/authz/check", json: ["user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1"])
            #expect(check.header("X-Route-Class") == "critical_auth")
            #expect(check.header("X-Response-Time") != nil)
            let dashboard = try await client.get("/api/v1/performance/dashboard")
            #expect(dashboard.json["monitor_enabled"] as? Bool == false)
            let operations = dashboard.json["operations"] as? [String: [String: Any]]
            #expect(operations?["authorization"]?["count"] as? Int == 0)
            #expect(dashboard.json["load_shedding"] == nil)
        }
    }
}

@Suite("Route classification: the defaults of SPEC section 5, and configured patterns")
struct RouteClassifierTests {
    @Test("defaults (SPEC section 4 as 8.1 restates it)", arguments: [
        ("/api/v1/health", "ultra_fast"), ("/api/v1/performance/health", "ultra_fast"), ("/api/v1/authz/check", "critical_auth"),
        ("/api/v1/auth/login", "critical_auth"), ("/api/v1/auth/logout-all", "critical_auth"), ("/api/v1/me", "critical_auth"),
        ("/api/v1/api-keys", "critical_auth"), ("/api/v1/api-keys/key_1", "critical_auth"), ("/api/v1/media/verify", "fast"),
        ("/api/v1/generations/g1/media-url", "fast"), ("/api/v1/generations/g1", "fast"), ("/api/v1/generations", "normal"),
        ("/api/v1/users", "normal"),
        ("/api/v1/import", "background"), ("/api/v1/performance/dashboard", "background"), ("/metrics", "background"),
        ("/dashboard/app.js", "background"),
    ])
    func defaults(path: String, routeClass: String) {
        #expect(RouteClassifier.defaults.classify(path).rawValue == routeClass)
    }

    @Test("a configured class replaces its defaults")
    func configured() async throws {
        let settings = try SettingsLoader.load(configText: """
            [routes]
            fast = "/api/v1/me, /api/v1/generations/*"
            """, environment: ["PORTCULLIS_ROUTES_BACKGROUND": "/api/v1/users*"], flags: [:])
        #expect(settings.routeClassifier.classify("/api/v1/generations/g1").rawValue == "fast")
        #expect(settings.routeClassifier.classify("/api/v1/media/verify").rawValue == "normal")
        #expect(settings.routeClassifier.classify("/api/v1/users/u1").rawValue == "background")
        #expect(settings.routeClassifier.classify("/api/v1/authz/check").rawValue == "critical_auth")
        try await TestServer.run(configure: { $0.routeClassifier = settings.routeClassifier }) { client in
            let response = try await client.get("/api/v1/users")
            #expect(response.header("X-Route-Class") == "background")
        }
    }
}
