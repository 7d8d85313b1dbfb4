import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis bench`: load scenarios against a running server over HTTP with keep-alive, through wrk (and an
/// open-loop generator of its own for the connection-scale scenario), with a table and a JSON report.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run load scenarios against a running server (wrk drives most; 'connections' has its own open-loop generator).",
        discussion: """
            Scenarios: floor, health, check-hot, check-uniform, check-cold, check-batch, login, me, media-url, mixed, connections.

            check-hot repeats 1,000 distinct checks; check-uniform picks each request at random among 100,000 distinct \
            checks; check-cold sends a fresh random check every time (nearly none repeats, so each is decided anew).

            'floor' is portcullis-floor, a bare SwiftNIO HTTP/1.1 server that bench starts and stops itself; it runs \
            first whenever a wrk scenario does (unless --no-floor), and the report gives every scenario's throughput \
            as a fraction of the floor's and its p99 as a multiple of the floor's, at the same connection count.

            --rounds N runs the scenarios N times in alternation (floor, health, check-hot, …, floor, health, …) and \
            reports the median of each, with the 1-minute load average at the start and the end.

            The check scenarios expect a dataset from `portcullis seed` (+ import); --users/--generations give its size. \
            Fixtures for login, me, media-url and mixed (ids starting with bench-) are created through the API. \
            See docs/benchmarks.md.
            """)

    @Option(help: "The server.") var url = "http://127.0.0.1:8080"
    @Option(help: "An admin API key (default: PORTCULLIS_ADMIN_KEY, or <data-dir>/admin.key).") var key: String?
    @Option(name: .customLong("data-dir"), help: "Where to read admin.key from when no key is given.") var dataDir = "./data"
    @Option(help: "Comma-separated scenarios, or 'all' (every one but connections, with the floor).") var scenarios = "all"
    @Option(help: "Connections (keep-alive) per scenario; comma-separated to run every scenario at each (e.g. 64,16).") var connections = "64"
    @Option(help: "Load-generator threads.") var threads = 2
    @Option(help: "Seconds per scenario.") var duration = 10
    @Option(help: "Run every scenario this many times, alternating, and report the medians.") var rounds = 1
    @Option(help: "Users in the seeded dataset.") var users = 100_000
    @Option(help: "Generations in the seeded dataset.") var generations = 1_000_000
    @Option(name: .customLong("scale-connections"), help: "Open connections for the 'connections' scenario.") var scaleConnections = 10_000
    @Option(name: .customLong("scale-rates"), help: "Fixed total rates (req/s) to try with those connections open.") var scaleRates = "1000,2000,4000,8000"
    @Option(name: .customLong("server-pid"), help: "The server's process id, for RSS (found automatically when one runs here).") var serverPid: Int32?
    @Option(name: .customLong("floor-binary"), help: "The floor server (default: portcullis-floor beside this executable).") var floorBinary: String?
    @Option(name: .customLong("floor-threads"), help: "The floor's event loops (default: its own, one per core).") var floorThreads: Int?
    @Flag(name: .customLong("no-floor"), help: "Do not run the floor (the report then has no ratios to it).") var noFloor = false
    @Option(help: "Write the results as JSON to this file.") var json: String?

    /// `login` runs last: each sign-in pays a deliberately slow KDF, and the queue it leaves would slow what follows.
    static let allScenarios = ["health", "check-hot", "check-uniform", "check-cold", "check-batch", "me", "media-url", "mixed", "login"]
    /// Scenarios whose connections do not follow --connections: they run once per round, with the first count.
    static let ownConnections: Set = ["login", "connections"]

    /// --connections as numbers.
    var connectionCounts: [Int] {
        connections.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// The scenarios in the order one round runs them: the floor first whenever it runs.
    var plan: [String] {
        let named = scenarios == "all" ? Self.allScenarios : scenarios.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let server = named.filter { $0 != "floor" }
        let floor = !noFloor && (named.contains("floor") || server.contains { $0 != "connections" })
        return (floor ? ["floor"] : []) + server
    }

    func validate() throws {
        let counts = connections.split(separator: ",")
        guard !counts.isEmpty, counts.count == connectionCounts.count, connectionCounts.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--connections: positive numbers, comma-separated (e.g. 64,16)")
        }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        guard duration >= 1 else { throw ValidationError("--duration must be at least 1") }
        if let floorThreads, floorThreads < 1 { throw ValidationError("--floor-threads must be at least 1") }
        let named = scenarios == "all" ? Self.allScenarios : scenarios.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if let unknown = named.first(where: { !(Self.allScenarios + ["connections", "floor"]).contains($0) }) {
            throw ValidationError("unknown scenario '\(unknown)'")
        }
        if noFloor && named.contains("floor") { throw ValidationError("--no-floor with the floor scenario") }
    }

    func run() throws {
        let plan = plan
        let counts = connectionCounts
        let serverScenarios = plan.filter { $0 != "floor" }
        // Before anything is sent anywhere: a missing floor binary is a mistake to report at once.
        let floorPath = plan.contains("floor") ? try FloorServer.locate(floorBinary) : nil
        // Portcullis is asked for nothing when only the floor runs.
        var portcullis: (client: BenchClient, key: String, fixtures: BenchFixtures, pid: Int32?)?
        if !serverScenarios.isEmpty {
            let client = try BenchClient(url: url)
            let adminKey = try resolveKey()
            portcullis = (client, adminKey, try BenchFixtures.create(client: client, key: adminKey, threads: threads), serverPid ?? ServerProcess.find())
        }
        let scripts = try BenchScripts.write()
        defer { try? FileManager.default.removeItem(atPath: scripts) }
        let floor = try floorPath.map { try FloorServer(binary: $0, threads: floorThreads) }
        defer { floor?.stop() }
        if let floor { print("floor: \(floor.binary) on \(floor.url)") }

        let loadAtStart = LoadAverage.oneMinute()
        var runs: [(key: BenchSummary.Key, result: BenchResult)] = []
        for round in 1...rounds {
            if rounds > 1 { print("-- round \(round) of \(rounds)") }
            for (index, count) in counts.enumerated() {
                for scenario in plan where index == 0 || !Self.ownConnections.contains(scenario) {
                    var results: [BenchResult]
                    switch scenario {
                    case "floor":
                        var result = try runWrk("floor", baseURL: floor!.url, connections: count, scripts: scripts, key: nil, fixtures: nil)
                        result.serverRSSMegabytes = ServerProcess.rssMegabytes(floor!.processIdentifier)
                        print(result.row)
                        results = [result]
                    case "connections":
                        let server = portcullis!
                        // ConnectionScale prints its rows as it goes.
                        results = try ConnectionScale(host: server.client.host, port: server.client.port, key: server.key,
                                                      connections: scaleConnections, duration: duration,
                                                      rates: scaleRates.split(separator: ",").compactMap { Int($0) }, users: users,
                                                      generations: generations, pid: server.pid).run()
                    default:
                        let server = portcullis!
                        var result = try runWrk(scenario, baseURL: url, connections: count, scripts: scripts, key: server.key, fixtures: server.fixtures)
                        result.serverRSSMegabytes = server.pid.flatMap(ServerProcess.rssMegabytes)
                        print(result.row)
                        results = [result]
                    }
                    for var result in results {
                        result.round = rounds > 1 ? round : nil
                        runs.append((BenchSummary.Key(scenario: scenario, connections: count, rate: result.rate), result))
                    }
                }
            }
        }
        let loadAtEnd = LoadAverage.oneMinute()
        let summary = BenchSummary.summarize(runs)
        func load(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "?" }
        print("")
        if rounds > 1 { print("medians of \(rounds) alternated rounds") }
        if floor == nil { print("no floor in this run: no ratios") }
        print("1-minute load average: \(load(loadAtStart)) at start, \(load(loadAtEnd)) at end")
        print(BenchResult.table(summary))
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let report = BenchReport(url: url, connections: counts[0], connectionCounts: counts, threads: threads, durationSeconds: duration,
                                     users: users, generations: generations, rounds: rounds, floorBinary: floor?.binary, floorThreads: floorThreads,
                                     loadAverageStart: loadAtStart, loadAverageEnd: loadAtEnd, results: summary, roundResults: runs.map(\.result))
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
            print("wrote \(json)")
        }
        if summary.contains(where: { ($0.violations ?? 0) > 0 || ($0.denials ?? 0) > 0 }) {
            print("FAILED: a check disagreed with a write acknowledged before it was sent")
            throw ExitCode(1)
        }
    }

    private func resolveKey() throws -> String {
        if let key { return key }
        if let key = ProcessInfo.processInfo.environment["PORTCULLIS_ADMIN_KEY"], !key.isEmpty { return key }
        if let data = FileManager.default.contents(atPath: dataDir + "/admin.key") {
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        throw ValidationError("give --key, set PORTCULLIS_ADMIN_KEY, or point --data-dir at a directory with admin.key")
    }

    private func runWrk(_ scenario: String, baseURL: String, connections: Int, scripts: String, key: String?,
                        fixtures: BenchFixtures?) throws -> BenchResult {
        var path: String
        var script: String
        var bearer: String? = key
        var wrkConnections = connections
        switch scenario {
        // The floor answers every path alike; health's script only adds the RESULT line.
        case "floor": (path, script, bearer) = ("/", "health.lua", nil)
        case "health": (path, script, bearer) = ("/api/v1/health", "health.lua", nil)
        case "check-hot": (path, script) = ("/api/v1/authz/check", "check-hot.lua")
        case "check-uniform": (path, script) = ("/api/v1/authz/check", "check-uniform.lua")
        case "check-cold": (path, script) = ("/api/v1/authz/check", "check-cold.lua")
        case "check-batch": (path, script) = ("/api/v1/authz/check-batch", "check-batch.lua")
        case "login":
            // A few connections: more would only queue behind the KDF and time out.
            (path, script, bearer) = ("/api/v1/auth/login", "login.lua", nil)
            wrkConnections = threads * 2
        case "me": (path, script, bearer) = ("/api/v1/me", "get.lua", fixtures?.token)
        case "media-url": (path, script, bearer) = ("/api/v1/generations/\(BenchFixtures.generation)/media-url", "get.lua", fixtures?.token)
        default: (path, script) = ("/", "mixed.lua")
        }
        var arguments = ["wrk", "-t", String(min(threads, wrkConnections)), "-c", String(wrkConnections), "-d", "\(duration)s", "--timeout", "10s",
                         "-s", scripts + "/" + script]
        if let bearer { arguments += ["-H", "Authorization: Bearer \(bearer)"] }
        arguments.append(baseURL + path)
        let output = try Subprocess.run(arguments, environment: [
            "USERS": String(users), "GENERATIONS": String(generations), "BENCH_EMAIL": BenchFixtures.email,
            "BENCH_PASSWORD": BenchFixtures.password, "BENCH_PREFIX": BenchFixtures.mixedPrefix,
        ])
        guard output.status == 0, var result = BenchResult(scenario: scenario, connections: wrkConnections, wrkOutput: output.standardOutput) else {
            throw ValidationError("wrk failed for \(scenario): \(output.standardError)\(output.standardOutput)")
        }
        result.durationSeconds = duration
        return result
    }
}
