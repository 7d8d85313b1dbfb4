import Foundation
import PortcullisTestSupport
import Testing

@Suite("The portcullis command")
struct CommandTests {
    static let ndjson = [
        #"{"type":"user","id":"a","email":"a@example.com"}"#,
        #"{"type":"user","id":"b","email":"b@example.com"}"#,
        #"{"type":"project","id":"p","name":"P","owner_id":"a","visibility":"public"}"#,
        #"{"type":"generation","id":"g","owner_id":"a","project_id":"p"}"#,
    ].joined(separator: "\n")

    @Test("--version prints the version")
    func version() async throws {
        let result = try await CommandRunner.run(["--version"])
        #expect(result.status == 0)
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
    }

    @Test("import then check offline: allowed exits 0, denied exits 1, bad input exits 64")
    func importAndCheck() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/data.ndjson"
        try Self.ndjson.write(toFile: file, atomically: true, encoding: .utf8)
        let imported = try await CommandRunner.run(["import", "--data-dir", directory, file])
        #expect(imported.status == 0, "\(imported.error)")
        #expect(imported.output.contains("imported 2 users"))

        let allowed = try await CommandRunner.run(["check", "--data-dir", directory, "--user", "b", "--action", "read", "--resource", "generation:g", "--explain"])
        #expect(allowed.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(allowed.output.utf8)) as? [String: Any]
        #expect(json?["allowed"] as? Bool == true && json?["reason"] as? String == "public_project")
        #expect((json?["explanation"] as? [Any])?.isEmpty == false)

        let denied = try await CommandRunner.run(["check", "--data-dir", directory, "--user", "b", "--action", "delete", "--resource", "generation:g"])
        #expect(denied.status == 1)
        #expect(denied.output.contains("no_grant"))
        let bad = try await CommandRunner.run(["check", "--data-dir", directory, "--user", "b", "--action", "fly", "--resource", "generation:g"])
        #expect(bad.status == 64)
    }

    @Test("a bad import file stores nothing and names the line")
    func badImport() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/data.ndjson"
        try (Self.ndjson + "\n" + #"{"type":"generation","id":"h","owner_id":"nobody"}"#).write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await CommandRunner.run(["import", "--data-dir", directory, file])
        #expect(result.status == 1)
        #expect(result.error.contains("line 5"))
        let check = try await CommandRunner.run(["check", "--data-dir", directory, "--user", "a", "--action", "read", "--resource", "generation:g"])
        #expect(check.status == 1 && check.output.contains("user_inactive"))
    }

    @Test("serve --demo: demo data, admin.key mode 0600, health and a check; SIGTERM exits 0")
    func serveDemo() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = CommandRunner.freePort()
        let process = try CommandRunner.start(["serve", "--demo", "--data-dir", directory, "--port", String(port)])
        let log = CommandRunner.waitUntilListening(process)
        #expect(log.contains("listening"), "\(log)")
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/admin.key")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let key = try String(contentsOfFile: directory + "/admin.key", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let health = try await CommandRunner.run(["check", "--data-dir", directory, "--user", "admin", "--action", "read", "--resource", "generation:gen-00001"])
        #expect(health.status == 0 && health.output.contains("admin"))
        let response = try await HTTP.post(port: port, path: "/api/v1/authz/check", bearer: key,
                                           body: #"{"user_id":"alice","action":"read","resource_type":"team","resource_id":"studio"}"#)
        #expect(response.contains("\"allowed\":true"), "\(response)")
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let output = String(decoding: process.standardOutput.readDataToEndOfFile(), as: UTF8.self)
        #expect(output.contains("Demo organisation loaded") && output.contains("generations"))
    }

    @Test("settings precedence end to end: flag over environment over config file")
    func precedence() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (filePort, environmentPort, flagPort) = (CommandRunner.freePort(), CommandRunner.freePort(), CommandRunner.freePort())
        let config = directory + "/portcullis.toml"
        try "[server]\nport = \(filePort)\n[storage]\ndata_dir = \"\(directory)\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        for (arguments, environment, expected) in [
            (["serve", "--config", config], [String: String](), filePort),
            (["serve", "--config", config], ["PORTCULLIS_PORT": String(environmentPort)], environmentPort),
            (["serve", "--config", config, "--port", String(flagPort)], ["PORTCULLIS_PORT": String(environmentPort)], flagPort),
        ] {
            let process = try CommandRunner.start(arguments, environment: environment)
            let log = CommandRunner.waitUntilListening(process)
            #expect(log.contains("127.0.0.1:\(expected)"), "\(log)")
            #expect(try await HTTP.get(port: expected, path: "/api/v1/health").contains("\"ok\""))
            process.terminate()
            process.waitUntilExit()
        }
    }
}

/// Plain HTTP over a loopback socket: the CLI tests only need a couple of requests.
enum HTTP {
    static func get(port: Int, path: String) async throws -> String { try await exchange(port: port, "GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") }

    static func post(port: Int, path: String, bearer: String, body: String) async throws -> String {
        try await exchange(port: port, "POST \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer \(bearer)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
    }

    static func exchange(port: Int, _ request: String) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    String(decoding: try LoopbackSocket.exchange(port: port, Array(request.utf8)), as: UTF8.self)
                })
            }
        }
    }
}
