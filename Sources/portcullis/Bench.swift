import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis bench`: load scenarios against a running server over HTTP with keep-alive, through wrk (and an
/// open-loop generator of its own for the connection-scale scenario), with a table and a JSON report.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run load scenarios against a running server (wrk drives most; 'connections' has its own open-loop generator).",
        discussion: """
            Scenarios: health, check-hot, check-uniform, check-batch, login, me, media-url, mixed, connections.
            The check scenarios expect a dataset from `portcullis seed` (+ import); --users/--generations give its size.
            Fixtures for login, me, media-url and mixed (ids starting with bench-) are created through the API.
            See docs/benchmarks.md.
            """)

    @Option(help: "The server.") var url = "http://127.0.0.1:8080"
    @Option(help: "An admin API key (default: PORTCULLIS_ADMIN_KEY, or <data-dir>/admin.key).") var key: String?
    @Option(name: .customLong("data-dir"), help: "Where to read admin.key from when no key is given.") var dataDir = "./data"
    @Option(help: "Comma-separated scenarios, or 'all' (every one but connections).") var scenarios = "all"
    @Option(help: "Connections (keep-alive) per scenario.") var connections = 64
    @Option(help: "Load-generator threads.") var threads = 2
    @Option(help: "Seconds per scenario.") var duration = 10
    @Option(help: "Users in the seeded dataset.") var users = 100_000
    @Option(help: "Generations in the seeded dataset.") var generations = 1_000_000
    @Option(name: .customLong("scale-connections"), help: "Open connections for the 'connections' scenario.") var scaleConnections = 10_000
    @Option(name: .customLong("scale-rates"), help: "Fixed total rates (req/s) to try with those connections open.") var scaleRates = "1000,2000,4000,8000"
    @Option(name: .customLong("server-pid"), help: "The server's process id, for RSS (found automatically when one runs here).") var serverPid: Int32?
    @Option(help: "Write the results as JSON to this file.") var json: String?

    /// `login` runs last: each sign-in pays a deliberately slow KDF, and the queue it leaves would slow what follows.
    static let allScenarios = ["health", "check-hot", "check-uniform", "check-batch", "me", "media-url", "mixed", "login"]

    func run() throws {
        let client = try BenchClient(url: url)
        let adminKey = try resolveKey()
        let chosen = scenarios == "all" ? Self.allScenarios : scenarios.split(separator: ",").map(String.init)
        if let unknown = chosen.first(where: { !(Self.allScenarios + ["connections"]).contains($0) }) {
            throw ValidationError("unknown scenario '\(unknown)'")
        }
        let scripts = try BenchScripts.write()
        defer { try? FileManager.default.removeItem(atPath: scripts) }
        let fixtures = try BenchFixtures.create(client: client, key: adminKey, threads: threads)
        let pid = serverPid ?? ServerProcess.find()
        var results: [BenchResult] = []
        for scenario in chosen {
            if scenario == "connections" {
                results += try ConnectionScale(host: client.host, port: client.port, key: adminKey, connections: scaleConnections, duration: duration,
                                               rates: scaleRates.split(separator: ",").compactMap { Int($0) }, users: users,
                                               generations: generations, pid: pid).run()
                continue
            }
            var result = try runWrk(scenario, scripts: scripts, key: adminKey, fixtures: fixtures)
            result.serverRSSMegabytes = pid.flatMap(ServerProcess.rssMegabytes)
            results.append(result)
            print(result.row)
        }
        print("\n" + BenchResult.table(results))
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let report = BenchReport(url: url, connections: connections, threads: threads, durationSeconds: duration, users: users,
                                     generations: generations, results: results)
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
            print("wrote \(json)")
        }
        if results.contains(where: { ($0.violations ?? 0) > 0 || ($0.denials ?? 0) > 0 }) {
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

    private func runWrk(_ scenario: String, scripts: String, key: String, fixtures: BenchFixtures) throws -> BenchResult {
        var path: String
        var script: String
        var bearer: String? = key
        var wrkConnections = connections
        switch scenario {
        case "health": (path, script, bearer) = ("/api/v1/health", "health.lua", nil)
        case "check-hot": (path, script) = ("/api/v1/authz/check", "check-hot.lua")
        case "check-uniform": (path, script) = ("/api/v1/authz/check", "check-uniform.lua")
        case "check-batch": (path, script) = ("/api/v1/authz/check-batch", "check-batch.lua")
        case "login":
            // A few connections: more would only queue behind the KDF and time out.
            (path, script, bearer) = ("/api/v1/auth/login", "login.lua", nil)
            wrkConnections = threads * 2
        case "me": (path, script, bearer) = ("/api/v1/me", "get.lua", fixtures.token)
        case "media-url": (path, script, bearer) = ("/api/v1/generations/\(BenchFixtures.generation)/media-url", "get.lua", fixtures.token)
        default: (path, script) = ("/", "mixed.lua")
        }
        var arguments = ["wrk", "-t", String(threads), "-c", String(wrkConnections), "-d", "\(duration)s", "--timeout", "10s",
                         "-s", scripts + "/" + script]
        if let bearer { arguments += ["-H", "Authorization: Bearer \(bearer)"] }
        arguments.append(url + path)
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
