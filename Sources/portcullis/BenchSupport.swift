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

    enum CodingKeys: String, CodingKey {
        case scenario, connections, requests, durationSeconds = "duration_s", requestsPerSecond = "requests_per_second"
        case p50Milliseconds = "p50_ms", p90Milliseconds = "p90_ms", p99Milliseconds = "p99_ms", p999Milliseconds = "p99_9_ms"
        case maxMilliseconds = "max_ms", errors, serverRSSMegabytes = "server_rss_mb", violations, denials, writes, rate = "fixed_rate"
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
                     serverRSSMegabytes.map { String(format: "%6.1f", $0) } ?? "     -"]
        if let violations { cells.append("stale allows \(violations), lost grants \(denials ?? 0), writes \(writes ?? 0)") }
        if let rate { cells.append("fixed rate \(rate)/s") }
        return cells.map { "\($0)" }.joined(separator: " ")
    }

    static func table(_ results: [BenchResult]) -> String {
        let header = "scenario         connections    req/s   p50 ms   p90 ms   p99 ms p99.9 ms    max ms  errors RSS MB"
        return ([header] + results.map(\.row)).joined(separator: "\n")
    }
}

struct BenchReport: Codable {
    var url: String
    var connections: Int
    var threads: Int
    var durationSeconds: Int
    var users: Int
    var generations: Int
    var results: [BenchResult]

    enum CodingKeys: String, CodingKey {
        case url, connections, threads, durationSeconds = "duration_s", users, generations, results
    }
}
