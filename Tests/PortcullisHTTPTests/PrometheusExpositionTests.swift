import Foundation
import Testing

@testable import PortcullisCore
@testable import PortcullisHTTP

@Suite("/metrics: Prometheus text that a strict parser accepts, with histograms and summaries that count what happened")
struct PrometheusExpositionTests {
    static func check(_ client: HTTPClient, _ user: String, _ generation: String) async throws {
        let response = try await client.post("/api/v1/authz/check", json: ["user_id": user, "action": "read", "resource_type": "generation",
                                                                            "resource_id": generation])
        #expect(response.status == 200)
    }

    @Test("a live server's exposition parses strictly; each latency series is a histogram and a summary that agree")
    func liveExposition() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let checks = 6
            for index in 0..<checks { try await Self.check(client, index % 2 == 0 ? "m1" : "outsider", "g1") }
            let response = try await client.get("/metrics")
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            let metrics = try PrometheusText(response.text)

            for kind in ["operation", "route_class", "endpoint"] {
                #expect(metrics.families["portcullis_\(kind)_duration_seconds"]?.type == "histogram", "\(kind)")
                #expect(metrics.families["portcullis_\(kind)_latency_seconds"]?.type == "summary", "\(kind)")
                #expect(metrics.families["portcullis_\(kind)_window_samples"]?.type == "gauge", "\(kind)")
                #expect(metrics.families["portcullis_\(kind)_window_count"] == nil, "renamed: a gauge may not end in _count")
            }
            #expect(metrics.families["portcullis_query_latency_seconds"]?.type == "summary")

            // The checks, once each, in every view of the authorization series.
            let authorization = ["operation": "authorization"]
            #expect(metrics.value("portcullis_operation_duration_seconds_count", authorization) == Double(checks))
            #expect(metrics.value("portcullis_operation_duration_seconds_bucket", authorization.merging(["le": "+Inf"]) { $1 }) == Double(checks))
            #expect(metrics.value("portcullis_operation_latency_seconds_count", authorization) == Double(checks))
            #expect(metrics.value("portcullis_operation_window_samples", authorization) == Double(checks))
            let sum = try #require(metrics.value("portcullis_operation_duration_seconds_sum", authorization))
            #expect(sum > 0 && sum == metrics.value("portcullis_operation_latency_seconds_sum", authorization))
            #expect(metrics.value("portcullis_route_class_duration_seconds_count", ["class": "critical_auth"]) == Double(checks))

            // Quantiles of the window, in order, and the same as the dashboard's.
            let quantiles = try ["0.5", "0.95", "0.99", "1"].map { quantile in
                try #require(metrics.value("portcullis_operation_latency_seconds", authorization.merging(["quantile": quantile]) { $1 }))
            }
            #expect(quantiles[0] > 0 && zip(quantiles, quantiles.dropFirst()).allSatisfy { $0 <= $1 }, "\(quantiles)")
            let dashboard = try await client.get("/api/v1/performance/dashboard")
            let window = try #require((dashboard.json["operations"] as? [String: [String: Any]])?["authorization"])
            #expect(abs(quantiles[2] * 1000 - (window["p99_ms"] as? Double ?? -1)) < 1e-9)
            #expect(abs(quantiles[3] * 1000 - (window["max_ms"] as? Double ?? -1)) < 1e-9)

            // Every request lands in one route class and in api_endpoint, and its status class once.
            let classes = metrics.samples("portcullis_route_class_duration_seconds_count").map(\.value).reduce(0, +)
            let requests = try #require(metrics.value("portcullis_operation_duration_seconds_count", ["operation": "api_endpoint"]))
            #expect(requests >= Double(checks + 7) && classes == requests)
            let statuses = metrics.samples("portcullis_responses_total").filter { $0.labels["status"] != "503" }.map(\.value).reduce(0, +)
            #expect(statuses == requests)

            // Statements: the summary's count is the call counter.
            let subject = ["statement": "authz.decide_generation"]
            let calls = try #require(metrics.value("portcullis_query_calls_total", subject))
            #expect(calls > 0 && metrics.value("portcullis_query_latency_seconds_count", subject) == calls)
            #expect(try #require(metrics.value("portcullis_query_latency_seconds_sum", subject)) > 0)
        }
    }

    @Test("the parser used above refuses what Prometheus refuses", arguments: [
        "# TYPE x_seconds gauge\nx_seconds{quantile=\"0.5\"} 1\n",
        "# HELP x_count n\n# TYPE x_count gauge\nx_count 1\n",
        "# HELP x n\n# TYPE x counter\nx 1\n",
        "# HELP x_total n\n# TYPE x_total counter\nx_total{a=\"1\"} 1\nx_total{a=\"1\"} 2\n",
        "# HELP h n\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
        "# HELP h n\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
        "# HELP h n\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n",
        "# HELP s n\n# TYPE s summary\ns{quantile=\"1.5\"} 1\ns_sum 1\ns_count 1\n",
        "# HELP s n\n# TYPE s summary\ns{quantile=\"0.5\"} 1\n",
        "# HELP g n\n# TYPE g gauge\ng{a=\"\\t\"} 1\n",
        "# HELP g n\n# TYPE g gauge\ng{a=\"x\"} 1",
        "# HELP g n\n# TYPE g gauge\ng 1\n# HELP k n\n# TYPE k gauge\nk 1\ng{a=\"b\"} 1\n",
        "# HELP g n\n# TYPE g gauge\ng 1e\n",
        "# HELP g n\n# TYPE g gauge\ng inf\n",
        "# HELP g n\n# TYPE g gauge\n\ng 1\n",
    ])
    func parserRefuses(text: String) {
        #expect(throws: PrometheusText.FormatError.self) { try PrometheusText(text) }
    }
}

@Suite("PrometheusTextWriter: the text format's lines, escapes and numbers")
struct PrometheusTextWriterTests {
    @Test("a histogram: one bucket per bound with le in plain decimal seconds, +Inf, _sum in seconds, _count")
    func histogram() throws {
        var latency = CumulativeLatency()
        for nanoseconds: Int64 in [8_000, 30_000, 30_000, 2_000_000_000, 20_000_000_000] { latency.record(nanoseconds: nanoseconds) }
        var writer = PrometheusTextWriter()
        writer.histogram("x_duration_seconds", "Latency.", [([("operation", "a")], latency)])
        let lines = writer.text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "# HELP portcullis_x_duration_seconds Latency.")
        #expect(lines[1] == "# TYPE portcullis_x_duration_seconds histogram")
        #expect(lines[2] == #"portcullis_x_duration_seconds_bucket{operation="a",le="0.00001"} 1"#)
        #expect(lines[3] == #"portcullis_x_duration_seconds_bucket{operation="a",le="0.000025"} 1"#)
        #expect(lines[4] == #"portcullis_x_duration_seconds_bucket{operation="a",le="0.00005"} 3"#)
        #expect(lines.contains(#"portcullis_x_duration_seconds_bucket{operation="a",le="2.5"} 4"#))
        #expect(lines.contains(#"portcullis_x_duration_seconds_bucket{operation="a",le="10"} 4"#))
        #expect(lines.contains(#"portcullis_x_duration_seconds_bucket{operation="a",le="+Inf"} 5"#))
        #expect(lines.contains("portcullis_x_duration_seconds_sum{operation=\"a\"} 22.000068"))
        #expect(lines.last == #"portcullis_x_duration_seconds_count{operation="a"} 5"#)
        #expect(lines.count == 2 + CumulativeLatency.upperBoundsNanoseconds.count + 1 + 2)
        _ = try PrometheusText(writer.text)
    }

    @Test("label values escape backslash, quote and line feed; help text backslash and line feed; they read back the same")
    func escapes() throws {
        let hostile = "a\"b\\c\nd} e=\"f"
        var writer = PrometheusTextWriter()
        writer.gauge("g", "Two\nlines \\ here.", [([("statement", hostile)], 1)])
        #expect(writer.text.contains(#"portcullis_g{statement="a\"b\\c\nd} e=\"f"} 1"#))
        #expect(writer.text.contains(#"# HELP portcullis_g Two\nlines \\ here."#))
        let parsed = try PrometheusText(writer.text)
        #expect(parsed.samples("portcullis_g").first?.labels["statement"] == hostile)
        #expect(parsed.families["portcullis_g"]?.help == "Two\nlines \\ here.")
    }

    @Test("numbers: exact decimal seconds for bounds; +Inf, -Inf and NaN as the format spells them", arguments: [
        (Int64(10_000), "0.00001"), (25_000, "0.000025"), (1_000_000, "0.001"), (1_000_000_000, "1"), (2_500_000_000, "2.5"), (10_000_000_000, "10"),
    ])
    func seconds(nanoseconds: Int64, text: String) {
        #expect(PrometheusTextWriter.seconds(nanoseconds) == text)
        #expect(PrometheusTextWriter.format(.infinity) == "+Inf" && PrometheusTextWriter.format(-.infinity) == "-Inf")
        #expect(PrometheusTextWriter.format(.nan) == "NaN" && PrometheusTextWriter.format(0.25) == "0.25")
        #expect(PrometheusTextWriter.format(8) == "8" && PrometheusTextWriter.format(-3) == "-3" && PrometheusTextWriter.format(1e20) == "1e+20")
        #expect(PrometheusTextWriter.format(PrometheusTextWriter.seconds(milliseconds: 0.336)) == "0.000336")
        #expect(PrometheusTextWriter.format(PrometheusTextWriter.seconds(milliseconds: 0.00345)) == "3.45e-06")
    }

    @Test("an empty family writes nothing, not a TYPE line without samples")
    func emptyFamily() {
        var writer = PrometheusTextWriter()
        writer.counter("x_total", "Nothing.", [])
        writer.histogram("h_seconds", "Nothing.", [])
        #expect(writer.text.isEmpty)
    }
}
