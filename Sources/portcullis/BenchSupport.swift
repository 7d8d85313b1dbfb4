import ArgumentParser
import Foundation
import PortcullisCore

/// The Lua scripts of `bench/`, embedded in the binary, written to a temporary folder for wrk.
enum BenchScripts {
    static func write() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, base64) in EmbeddedFiles.all where name.hasSuffix(".lua") {
            guard let data = Data(base64Encoded: base64) else { continue }
            try data.write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        return folder
    }
}

/// Entities the login, me, media-url and mixed scenarios use, created through the API (idempotently).
struct BenchFixtures {
    static let user = "bench-fixture-user"
    static let email = "bench-fixture-user@bench.portcullis"
    static let password = "bench-password-1"
    static let generation = "bench-fixture-generation"
    static let mixedPrefix = "bench-fixture-mixed"
    var token: String

    static func create(client: BenchClient, key: String, threads: Int) throws -> BenchFixtures {
        func ensure(_ method: String, _ path: String, _ body: String) throws {
            let (status, text) = try client.send(method, path, bearer: key, json: body)
            guard (200..<300).contains(status) || status == 409 else { throw ValidationError("\(method) \(path) → \(status) \(text)") }
        }
        try ensure("POST", "/api/v1/users", #"{"id":"\#(user)","email":"\#(email)","password":"\#(password)"}"#)
        // The user may exist from an earlier run with other settings: make sure of its email and password.
        try ensure("PATCH", "/api/v1/users/\(user)", #"{"email":"\#(email)","password":"\#(password)","status":"active"}"#)
        try ensure("POST", "/api/v1/teams", #"{"id":"bench-fixture-team","name":"Bench","owner_id":"\#(user)"}"#)
        try ensure("POST", "/api/v1/projects",
                   #"{"id":"bench-fixture-project","name":"Bench","owner_id":"\#(user)","team_id":"bench-fixture-team","visibility":"team"}"#)
        try ensure("POST", "/api/v1/generations",
                   #"{"id":"\#(generation)","owner_id":"\#(user)","project_id":"bench-fixture-project","status":"completed","media_key":"bench/media.png"}"#)
        for thread in 1...max(1, threads) {
            let (member, team, project) = ("\(mixedPrefix)-u\(thread)", "\(mixedPrefix)-t\(thread)", "\(mixedPrefix)-p\(thread)")
            try ensure("POST", "/api/v1/users", #"{"id":"\#(member)","email":"\#(member)@bench.portcullis"}"#)
            try ensure("POST", "/api/v1/teams", #"{"id":"\#(team)","name":"Mixed \#(thread)","owner_id":"\#(user)"}"#)
            try ensure("POST", "/api/v1/projects", #"{"id":"\#(project)","name":"Mixed","owner_id":"\#(user)","team_id":"\#(team)","visibility":"team"}"#)
            try ensure("POST", "/api/v1/generations", #"{"id":"\#(mixedPrefix)-g\#(thread)","owner_id":"\#(user)","project_id":"\#(project)"}"#)
            try ensure("PUT", "/api/v1/teams/\(team)/members/\(member)", #"{"role":"viewer"}"#)
        }
        let (status, body) = try client.send("POST", "/api/v1/auth/login", json: #"{"email":"\#(email)","password":"\#(password)"}"#)
        guard status == 200, let data = body.data(using: .utf8),
              let token = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["token"] as? String
        else { throw ValidationError("cannot sign in as \(email): \(status) \(body)") }
        return BenchFixtures(token: token)
    }
}

/// Finds the local `portcullis serve` process and reads its resident memory.
enum ServerProcess {
    static func find() -> Int32? {
        let candidates = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init).filter { pid in
            guard pid != getpid(), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.count >= 2 && (arguments[0] as NSString).lastPathComponent == "portcullis" && arguments[1] == "serve"
        }
        return candidates.count == 1 ? candidates[0] : nil
    }

    /// Resident anonymous memory: the process's own. File-backed pages (the database read through its memory map)
    /// are the kernel's page cache, shared and reclaimable, and are left out.
    static func rssMegabytes(_ pid: Int32) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }),
              let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return (kilobytes / 1024 * 10).rounded() / 10
    }
}

/// One scenario's figures.
struct BenchResult: Codable {
    var scenario: String
    var connections: Int
    var requests: Int
    var durationSeconds: Int?
    var requestsPerSecond: Double
    var p50Milliseconds: Double
    var p90Milliseconds: Double
    var p99Milliseconds: Double
    var p999Milliseconds: Double
    var maxMilliseconds: Double
    var errors: Int
    var serverRSSMegabytes: Double?
    /// mixed: checks after an acknowledged revocation that still allowed (must be 0).
    var violations: Int?
    /// mixed: checks that denied while the grant stood.
    var denials: Int?
    var writes: Int?
    var rate: Int?
    /// Which round of an alternated run this is (the per-round results of the JSON report).
    var round: Int?
    /// A summary over rounds: how many, and each round's throughput and p99 (the summary holds their medians).
    var rounds: Int?
    var roundsRequestsPerSecond: [Double]?
    var roundsP99Milliseconds: [Double]?
    /// Throughput as a fraction of the floor server's, and p99 as a multiple of the floor's, at the same connection
    /// count in the same run (medians over the rounds).
    var throughputOfFloor: Double?
    var p99OverFloor: Double?

    enum CodingKeys: String, CodingKey {
        case scenario, connections, requests, durationSeconds = "duration_s", requestsPerSecond = "requests_per_second"
        case p50Milliseconds = "p50_ms", p90Milliseconds = "p90_ms", p99Milliseconds = "p99_ms", p999Milliseconds = "p99_9_ms"
        case maxMilliseconds = "max_ms", errors, serverRSSMegabytes = "server_rss_mb", violations, denials, writes, rate = "fixed_rate"
        case round, rounds, roundsRequestsPerSecond = "rounds_requests_per_second", roundsP99Milliseconds = "rounds_p99_ms"
        case throughputOfFloor = "throughput_of_floor", p99OverFloor = "p99_over_floor"
    }

    /// Parses the `RESULT` (and `MIXED`) lines the scripts print.
    init?(scenario: String, connections: Int, wrkOutput: String) {
        func fields(_ prefix: String) -> [String: Double] {
            guard let line = wrkOutput.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return [:] }
            var values: [String: Double] = [:]
            for pair in line.split(separator: " ").dropFirst() {
                let parts = pair.split(separator: "=")
                if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
            }
            return values
        }
        let result = fields("RESULT")
        guard let requests = result["requests"], let rps = result["rps"] else { return nil }
        self.scenario = scenario
        self.connections = connections
        self.requests = Int(requests)
        requestsPerSecond = rps
        p50Milliseconds = (result["p50_us"] ?? 0) / 1000
        p90Milliseconds = (result["p90_us"] ?? 0) / 1000
        p99Milliseconds = (result["p99_us"] ?? 0) / 1000
        p999Milliseconds = (result["p999_us"] ?? 0) / 1000
        maxMilliseconds = (result["max_us"] ?? 0) / 1000
        errors = Int((result["errors"] ?? 0) + (result["non2xx"] ?? 0))
        let mixed = fields("MIXED")
        violations = mixed["violations"].map(Int.init)
        denials = mixed["denials"].map(Int.init)
        writes = mixed["writes"].map(Int.init)
    }

    init(scenario: String, connections: Int, requests: Int, requestsPerSecond: Double, latenciesMilliseconds: [Double], errors: Int, rate: Int) {
        self.scenario = scenario
        self.connections = connections
        self.requests = requests
        self.requestsPerSecond = requestsPerSecond
        let sorted = latenciesMilliseconds.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        p50Milliseconds = percentile(0.5)
        p90Milliseconds = percentile(0.9)
        p99Milliseconds = percentile(0.99)
        p999Milliseconds = percentile(0.999)
        maxMilliseconds = sorted.last ?? 0
        self.errors = errors
        self.rate = rate
    }

    var row: String {
        func ms(_ value: Double) -> String { String(format: "%8.2f", value) }
        var cells = [scenario.padding(toLength: 16, withPad: " ", startingAt: 0), String(format: "%11d", connections),
                     String(format: "%8.0f", requestsPerSecond), ms(p50Milliseconds), ms(p90Milliseconds), ms(p99Milliseconds),
                     ms(p999Milliseconds), String(format: "%9.2f", maxMilliseconds), String(format: "%7d", errors),
                     serverRSSMegabytes.map { String(format: "%6.1f", $0) } ?? "     -",
                     throughputOfFloor.map { String(format: "%6.1f %%", $0 * 100) } ?? "       -",
                     p99OverFloor.map { String(format: "%8.2fx", $0) } ?? "        -"]
        if let violations { cells.append("stale allows \(violations), lost grants \(denials ?? 0), writes \(writes ?? 0)") }
        if let rate { cells.append("fixed rate \(rate)/s") }
        return cells.map { "\($0)" }.joined(separator: " ")
    }

    static func table(_ results: [BenchResult]) -> String {
        let header = "scenario         connections    req/s   p50 ms   p90 ms   p99 ms p99.9 ms    max ms  errors RSS MB of floor p99/floor"
        return ([header] + results.map(\.row)).joined(separator: "\n")
    }
}

struct BenchReport: Codable {
    var url: String
    /// The first of `connectionCounts` (the only one before several could be given).
    var connections: Int
    var connectionCounts: [Int]
    var threads: Int
    var durationSeconds: Int
    var users: Int
    var generations: Int
    var rounds: Int
    var floorBinary: String?
    var floorThreads: Int?
    var loadAverageStart: Double?
    var loadAverageEnd: Double?
    /// One per scenario and connection count: the medians over the rounds, with the ratios to the floor.
    var results: [BenchResult]
    /// Every run, in the order they ran.
    var roundResults: [BenchResult]

    enum CodingKeys: String, CodingKey {
        case url, connections, connectionCounts = "connection_counts", threads, durationSeconds = "duration_s", users, generations, rounds
        case floorBinary = "floor_binary", floorThreads = "floor_threads", loadAverageStart = "load_average_1m_start"
        case loadAverageEnd = "load_average_1m_end", results, roundResults = "round_results"
    }
}

/// Medians over alternated rounds, and each scenario's figures relative to the floor's.
enum BenchSummary {
    /// Which results are the same measurement in different rounds: scenario, connection count asked for, fixed rate.
    struct Key: Hashable {
        var scenario: String
        var connections: Int
        var rate: Int?
    }

    /// One summary per key, in the order the keys first ran: each figure the median of its rounds (errors and the
    /// mixed scenario's counts summed, RSS the largest), then throughput and p99 relative to the floor's summary at the
    /// same connection count.
    static func summarize(_ runs: [(key: Key, result: BenchResult)]) -> [BenchResult] {
        var order: [Key] = []
        var groups: [Key: [BenchResult]] = [:]
        for (key, result) in runs {
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(result)
        }
        var summaries = order.map { key in (key, merge(groups[key]!)) }
        let floors = Dictionary(summaries.filter { $0.0.scenario == "floor" }.map { ($0.0.connections, $0.1) }, uniquingKeysWith: { first, _ in first })
        for index in summaries.indices where summaries[index].0.rate == nil {
            guard let floor = floors[summaries[index].0.connections] else { continue }
            let result = summaries[index].1
            if floor.requestsPerSecond > 0 { summaries[index].1.throughputOfFloor = result.requestsPerSecond / floor.requestsPerSecond }
            if floor.p99Milliseconds > 0 { summaries[index].1.p99OverFloor = result.p99Milliseconds / floor.p99Milliseconds }
        }
        return summaries.map(\.1)
    }

    static func merge(_ results: [BenchResult]) -> BenchResult {
        var merged = results[0]
        merged.round = nil
        guard results.count > 1 else { return merged }
        func median(_ value: (BenchResult) -> Double) -> Double { Self.median(results.map(value)) }
        func sum(_ value: (BenchResult) -> Int?) -> Int? {
            let values = results.compactMap(value)
            return values.isEmpty ? nil : values.reduce(0, +)
        }
        merged.connections = results.map(\.connections).min()!
        merged.requests = Int(median { Double($0.requests) }.rounded())
        merged.requestsPerSecond = median(\.requestsPerSecond)
        merged.p50Milliseconds = median(\.p50Milliseconds)
        merged.p90Milliseconds = median(\.p90Milliseconds)
        merged.p99Milliseconds = median(\.p99Milliseconds)
        merged.p999Milliseconds = median(\.p999Milliseconds)
        merged.maxMilliseconds = median(\.maxMilliseconds)
        merged.errors = results.map(\.errors).reduce(0, +)
        merged.serverRSSMegabytes = results.compactMap(\.serverRSSMegabytes).max()
        merged.violations = sum(\.violations)
        merged.denials = sum(\.denials)
        merged.writes = sum(\.writes)
        merged.rounds = results.count
        merged.roundsRequestsPerSecond = results.map(\.requestsPerSecond)
        merged.roundsP99Milliseconds = results.map(\.p99Milliseconds)
        return merged
    }

    /// The middle value, or the mean of the two middle values of an even count.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
