import Foundation
@testable import portcullis
import Testing

@Suite("portcullis bench")
struct BenchTests {
    @Test("the floor runs first, before every scenario, unless --no-floor or only 'connections' runs")
    func plan() throws {
        #expect(try Bench.parse([]).plan == ["floor"] + Bench.allScenarios)
        #expect(try Bench.parse(["--scenarios", "check-hot,health"]).plan == ["floor", "check-hot", "health"])
        #expect(try Bench.parse(["--scenarios", "health,floor"]).plan == ["floor", "health"])
        #expect(try Bench.parse(["--scenarios", "floor"]).plan == ["floor"])
        #expect(try Bench.parse(["--scenarios", "health", "--no-floor"]).plan == ["health"])
        #expect(try Bench.parse(["--scenarios", "connections"]).plan == ["connections"])
        #expect(try Bench.parse(["--scenarios", "connections,floor"]).plan == ["floor", "connections"])
    }

    @Test("--connections takes one count or several; --rounds, --floor-binary and the old options parse")
    func options() throws {
        let defaults = try Bench.parse([])
        #expect(defaults.connectionCounts == [64] && defaults.rounds == 1 && defaults.floorBinary == nil && !defaults.noFloor)
        let bench = try Bench.parse(["--connections", "64,16", "--rounds", "3", "--floor-binary", "/x/portcullis-floor", "--floor-threads", "1",
                                     "--duration", "5", "--threads", "2", "--json", "out.json", "--url", "http://127.0.0.1:9"])
        #expect(bench.connectionCounts == [64, 16] && bench.rounds == 3 && bench.floorBinary == "/x/portcullis-floor" && bench.floorThreads == 1)
        #expect(bench.duration == 5 && bench.json == "out.json" && bench.url == "http://127.0.0.1:9")
        #expect(try Bench.parse(["--connections", "16"]).connectionCounts == [16])
        for bad in [["--connections", "64,x"], ["--connections", "0"], ["--connections", ""], ["--rounds", "0"], ["--scenarios", "nope"],
                    ["--scenarios", "floor", "--no-floor"], ["--floor-threads", "0"]] {
            #expect(throws: (any Error).self, "\(bad)") { try Bench.parse(bad) }
        }
    }

    static func result(_ scenario: String, connections: Int = 64, rps: Double, p99: Double, errors: Int = 0) -> BenchResult {
        BenchResult(scenario: scenario, connections: connections, wrkOutput: """
            RESULT requests=\(Int(rps * 10)) duration_s=10.00 rps=\(rps) p50_us=100 p90_us=200 p99_us=\(Int(p99 * 1000)) p999_us=5000 \
            max_us=9000 errors=\(errors) non2xx=0
            """)!
    }

    @Test("medians over rounds; throughput and p99 relative to the floor at the same connection count")
    func summary() throws {
        typealias Key = BenchSummary.Key
        let runs: [(key: Key, result: BenchResult)] = [
            (Key(scenario: "floor", connections: 64), Self.result("floor", rps: 100_000, p99: 1.0)),
            (Key(scenario: "health", connections: 64), Self.result("health", rps: 50_000, p99: 3.0)),
            (Key(scenario: "floor", connections: 16, rate: nil), Self.result("floor", connections: 16, rps: 80_000, p99: 0.5)),
            (Key(scenario: "health", connections: 16), Self.result("health", connections: 16, rps: 60_000, p99: 1.0)),
            (Key(scenario: "floor", connections: 64), Self.result("floor", rps: 90_000, p99: 2.0)),
            (Key(scenario: "health", connections: 64), Self.result("health", rps: 40_000, p99: 2.0, errors: 2)),
            (Key(scenario: "floor", connections: 64), Self.result("floor", rps: 120_000, p99: 1.5)),
            (Key(scenario: "health", connections: 64), Self.result("health", rps: 60_000, p99: 4.5)),
        ]
        let summary = BenchSummary.summarize(runs)
        #expect(summary.map(\.scenario) == ["floor", "health", "floor", "health"])
        #expect(summary.map(\.connections) == [64, 64, 16, 16])
        let floor = summary[0], health = summary[1]
        #expect(floor.requestsPerSecond == 100_000 && floor.p99Milliseconds == 1.5 && floor.rounds == 3)
        #expect(floor.throughputOfFloor == 1 && floor.p99OverFloor == 1)
        #expect(health.requestsPerSecond == 50_000 && health.p99Milliseconds == 3.0 && health.errors == 2)
        #expect(health.roundsRequestsPerSecond == [50_000, 40_000, 60_000])
        #expect(health.throughputOfFloor == 0.5 && health.p99OverFloor == 2.0)
        // One round at 16 connections: its own floor, and no per-round lists.
        #expect(summary[3].throughputOfFloor == 0.75 && summary[3].p99OverFloor == 2.0 && summary[3].rounds == nil)
        #expect(BenchSummary.median([3, 1, 2, 10]) == 2.5 && BenchSummary.median([7]) == 7)

        let table = BenchResult.table(summary)
        #expect(table.contains("of floor") && table.contains("p99/floor") && table.contains(" 50.0 %") && table.contains("2.00x"))
        let report = BenchReport(url: "http://127.0.0.1:8080", connections: 64, connectionCounts: [64, 16], threads: 2, durationSeconds: 10,
                                 users: 1, generations: 1, rounds: 3, floorBinary: "/x/portcullis-floor", floorThreads: nil,
                                 loadAverageStart: 1.5, loadAverageEnd: 2.25, results: summary, roundResults: runs.map(\.result))
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        #expect(json?["load_average_1m_start"] as? Double == 1.5 && json?["load_average_1m_end"] as? Double == 2.25)
        #expect(json?["connection_counts"] as? [Int] == [64, 16] && json?["rounds"] as? Int == 3)
        let first = (json?["results"] as? [[String: Any]])?[1]
        #expect(first?["throughput_of_floor"] as? Double == 0.5 && first?["p99_over_floor"] as? Double == 2.0)
        #expect((json?["round_results"] as? [Any])?.count == 8)
    }
}
