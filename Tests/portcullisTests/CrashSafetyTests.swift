import Foundation
import PortcullisTestSupport
import PortcullisCore
import Synchronization
import Testing

/// SPEC section 5: "A write acknowledged with 2xx survives `kill -9` of the process. SIGTERM drains in-flight requests
/// and exits cleanly." Runs the built binary, as production does.
///
/// `PORTCULLIS_CRASH_ITERATIONS` sets the number of kill/restart rounds (default 12; CI keeps the default).
@Suite("Crash safety: SIGKILL loses no acknowledged write; SIGTERM drains", .serialized)
struct CrashSafetyTests {
    static let iterations = ProcessInfo.processInfo.environment["PORTCULLIS_CRASH_ITERATIONS"].flatMap(Int.init) ?? 12
    static let adminKey = "pcs_crash-test-admin-key-0123456789abcdefghijklmnop"

    static func start(_ directory: String, port: Int) throws -> SpawnedProcess {
        let process = try CommandRunner.start(["serve", "--data-dir", directory, "--port", String(port)],
                                              environment: ["PORTCULLIS_ADMIN_KEY": adminKey, "PORTCULLIS_PASSWORD_ITERATIONS": "100000",
                                                            "PORTCULLIS_ACCESS_LOG": "off"])
        let log = CommandRunner.waitUntilListening(process)
        guard log.contains("listening") else { throw RawHTTP.Failure(description: "the server did not start: \(log)") }
        return process
    }

    /// What writers had acknowledged: the path to read each entity back, and the highest revision answered.
    final class Acknowledged: Sendable {
        let paths = Mutex<[String]>([])
        /// Each acknowledged write's read-back path with the revision its response carried.
        let writes = Mutex<[(path: String, revision: Int64)]>([])
        let maxRevision = Atomic<Int64>(0)

        func record(_ path: String, revision: Int64) {
            paths.withLock { $0.append(path) }
            writes.withLock { $0.append((path, revision)) }
            var current = maxRevision.load(ordering: .relaxed)
            while revision > current {
                let (exchanged, original) = maxRevision.compareExchange(expected: current, desired: revision, ordering: .relaxed)
                if exchanged { break }
                current = original
            }
        }
    }

    /// One writer: user, then a team it owns, a project in that team, a generation in it, a membership — until the
    /// server goes away. Each 2xx is recorded before the next request.
    static func writer(_ name: String, port: Int, acknowledged: Acknowledged) async {
        var round = 0
        while true {
            round += 1
            let id = "\(name)-\(round)"
            let writes: [(path: String, body: String, readBack: String)] = [
                ("/api/v1/users", #"{"id":"u-\#(id)","email":"\#(id)@crash.test"}"#, "/api/v1/users/u-\(id)"),
                ("/api/v1/teams", #"{"id":"t-\#(id)","name":"T","owner_id":"u-\#(id)"}"#, "/api/v1/teams/t-\(id)"),
                ("/api/v1/projects", #"{"id":"p-\#(id)","name":"P","owner_id":"u-\#(id)","team_id":"t-\#(id)","visibility":"team"}"#,
                 "/api/v1/projects/p-\(id)"),
                ("/api/v1/generations", #"{"id":"g-\#(id)","owner_id":"u-\#(id)","project_id":"p-\#(id)"}"#, "/api/v1/generations/g-\(id)"),
            ]
            for write in writes {
                guard let response = try? await RawHTTP.send(port: port, "POST", write.path, bearer: adminKey, body: write.body),
                      (200..<300).contains(response.status)
                else { return }
                acknowledged.record(write.readBack, revision: Int64(response.headers["x-portcullis-revision"] ?? "") ?? 0)
            }
        }
    }

    @Test("SIGKILL at random moments under concurrent writes: every acknowledged write is there after restart, integrity ok")
    func killNineLosesNothing() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var random = SplitMix64(seed: 0xC0FFEE)
        var totalAcknowledged = 0
        var lost: [String] = []
        for iteration in 0..<Self.iterations {
            let port = CommandRunner.freePort()
            let server = try Self.start(directory, port: port)
            let acknowledged = Acknowledged()
            let killAfter = 50 + Int(random.next() % 450)
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<6 { group.addTask { await Self.writer("i\(iteration)w\(writer)", port: port, acknowledged: acknowledged) } }
                group.addTask {
                    try? await Task.sleep(for: .milliseconds(killAfter))
                    kill(server.processIdentifier, SIGKILL)
                }
            }
            server.waitUntilExit()
            #expect(server.terminationStatus == SIGKILL)

            // The file as the killed process left it: WAL recovery, then a full integrity check.
            let inspection = try DatabaseInspection.inspect(path: directory + "/portcullis.sqlite")
            #expect(inspection.isIntact, "iteration \(iteration): integrity_check says \(inspection.integrity.prefix(3))")

            let restartPort = CommandRunner.freePort()
            let restarted = try Self.start(directory, port: restartPort)
            defer {
                restarted.terminate()
                restarted.waitUntilExit()
            }
            let paths = acknowledged.paths.withLock { $0 }
            totalAcknowledged += paths.count
            for path in paths {
                let response = try await RawHTTP.send(port: restartPort, "GET", path, bearer: Self.adminKey)
                if response.status != 200 { lost.append("iteration \(iteration): \(path) → \(response.status)") }
            }
            let health = try await RawHTTP.send(port: restartPort, "GET", "/api/v1/performance/health")
            let revision = ((health.json["components"] as? [String: Any])?["database"] as? [String: Any])
                .flatMap { ($0["detail"] as? [String: Any])?["revision"] as? String }.flatMap { Int64($0) } ?? -1
            #expect(revision >= acknowledged.maxRevision.load(ordering: .relaxed),
                    "iteration \(iteration): revision \(revision) after restart, \(acknowledged.maxRevision.load(ordering: .relaxed)) acknowledged")
        }
        print("crash safety: \(Self.iterations) SIGKILLs, \(totalAcknowledged) acknowledged writes, \(lost.count) lost")
        #expect(totalAcknowledged > Self.iterations, "too few writes were acknowledged to prove anything")
        #expect(lost.isEmpty, "acknowledged writes missing after restart: \(lost.prefix(10))")
    }

    @Test("SIGTERM on an idle server exits 0 within two seconds (no background service holds the exit back)")
    func sigtermIsPrompt() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try Self.start(directory, port: CommandRunner.freePort())
        let start = ContinuousClock.now
        server.terminate()
        server.waitUntilExit()
        let took = ContinuousClock.now - start
        #expect(server.terminationStatus == 0)
        // The monitor's 5 s refresh sleep used to run to its end after SIGTERM.
        #expect(took < .seconds(2), "SIGTERM took \(took)")
    }

    @Test("SIGTERM while a slow import is in flight: the import completes 200, the process exits 0, the data is there")
    func sigtermDrains() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = CommandRunner.freePort()
        let server = try Self.start(directory, port: port)
        // Passwords are hashed on import, deliberately slow: a request that is surely still running at the signal.
        let lines = (0..<48).map { #"{"type":"user","id":"drain-\#($0)","email":"drain-\#($0)@crash.test","password":"correct horse \#($0)"}"# }
        let body = lines.joined(separator: "\n") + "\n"
        async let response = RawHTTP.send(port: port, "POST", "/api/v1/import", bearer: Self.adminKey, body: body,
                                          contentType: "application/x-ndjson")
        try await Task.sleep(for: .milliseconds(150))
        server.terminate()
        let answered = try await response
        server.waitUntilExit()
        #expect(answered.status == 200, "\(answered.status) \(answered.text)")
        #expect(server.terminationStatus == 0)

        let restarted = try Self.start(directory, port: port)
        defer {
            restarted.terminate()
            restarted.waitUntilExit()
        }
        let user = try await RawHTTP.send(port: port, "GET", "/api/v1/users/drain-47", bearer: Self.adminKey)
        #expect(user.status == 200)
    }
}

/// A blocking HTTP/1.1 exchange on its own thread (`Connection: close`), with status, headers and body.
enum RawHTTP {
    struct Failure: Error, CustomStringConvertible { var description: String }

    struct Response: Sendable {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    }

    static func send(port: Int, _ method: String, _ path: String, bearer: String? = nil, body: String? = nil,
                     contentType: String = "application/json") async throws -> Response {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let bearer { head += "Authorization: Bearer \(bearer)\r\n" }
        if let body { head += "Content-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n" }
        let request = Array((head + "\r\n" + (body ?? "")).utf8)
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try exchange(request, port: port) }) }
        }
    }

    private static func exchange(_ request: [UInt8], port: Int) throws -> Response {
        let fd = try LoopbackSocket.connect(port: port)
        defer { close(fd) }
        guard LoopbackSocket.send(fd, request) else { throw Failure(description: "send failed") }
        let data = LoopbackSocket.readToClose(fd)
        guard let end = data.indices.dropLast(3).first(where: { data[$0] == 13 && data[$0 + 1] == 10 && data[$0 + 2] == 13 && data[$0 + 3] == 10 })
        else { throw Failure(description: "no HTTP response (\(data.count) bytes)") }
        let lines = String(decoding: data[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure(description: "bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Response(status: status, headers: headers, body: Array(data[(end + 4)...]))
    }
}
