import Foundation
import Testing

@Suite("packaging/grafana/portcullis.json: a dashboard over metrics the server really exposes")
struct GrafanaDashboardTests {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("packaging/grafana/portcullis.json")

    /// Every PromQL text in the dashboard: panel targets' `expr`, template variables' `query`/`definition`.
    static func queries(in value: Any) -> [String] {
        switch value {
        case let object as [String: Any]:
            object.flatMap { key, value -> [String] in
                if ["expr", "query", "definition"].contains(key), let text = value as? String { return [text] }
                return queries(in: value)
            }
        case let array as [Any]:
            array.flatMap { queries(in: $0) }
        default:
            []
        }
    }

    static func metricNames(in query: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: "portcullis_[A-Za-z0-9_]+")
        return pattern.matches(in: query, range: NSRange(query.startIndex..., in: query)).map { String(query[Range($0.range, in: query)!]) }
    }

    @Test("every metric a panel or variable queries is in a live server's /metrics (default settings, after traffic)")
    func metricsExist() async throws {
        let dashboard = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.file))
        let queries = Self.queries(in: dashboard)
        let names = Set(queries.flatMap(Self.metricNames))
        #expect(queries.count >= 30 && names.count >= 25, "the dashboard's queries were not found: \(queries.count), \(names.count)")
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // One run on the defaults (fast path on), as a deployment scrapes it.
        try await TestServer.run(dataDirectory: directory) { client in
            try await client.seedSmallDirectory()
            _ = try await client.post("/api/v1/authz/check", json: ["user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1"])
            _ = try await client.get("/api/v1/generations/g1")
            let exposition = try PrometheusText(try await client.get("/metrics").text)
            let missing = names.subtracting(exposition.sampleNames).sorted()
            #expect(missing.isEmpty, "queried by the dashboard but not exposed: \(missing)")
        }
    }

    @Test("panels have unique ids, a title and a target; the data source is the dashboard's variable; it covers what operators watch")
    func shape() throws {
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.file)) as? [String: Any])
        #expect(dashboard["uid"] as? String == "portcullis")
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let ids = panels.compactMap { $0["id"] as? Int }
        #expect(ids.count == panels.count && Set(ids).count == ids.count)
        for panel in panels where panel["type"] as? String != "row" {
            #expect((panel["title"] as? String)?.isEmpty == false)
            let targets = panel["targets"] as? [[String: Any]] ?? []
            #expect(!targets.isEmpty, "\(panel["title"] ?? "")")
            #expect((panel["datasource"] as? [String: Any])?["uid"] as? String == "${datasource}")
        }
        let text = Self.queries(in: dashboard).joined(separator: "\n")
        for needed in ["histogram_quantile(0.99, sum by (le) (rate(portcullis_operation_duration_seconds_bucket", "portcullis_cache_hits_total",
                       "portcullis_shed_requests_total", "portcullis_audit_dropped_total", "portcullis_changes_total",
                       "portcullis_process_cpu_percent", "portcullis_responses_total"] {
            #expect(text.contains(needed), "\(needed)")
        }
    }
}
