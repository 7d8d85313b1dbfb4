import Foundation
import Testing

/// What `portcullis serve` writes when nobody watches a terminal: systemd's journal, a pipe, a log shipper.
@Suite("serve's output through pipes: the demo instructions at once, JSON logs on request")
struct ServeOutputTests {
    /// Reads what is in `handle`'s pipe now, without waiting for more.
    static func availableNow(_ handle: FileHandle) -> String {
        let descriptor = handle.fileDescriptor
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(descriptor, F_SETFL, flags) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            data.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: data, as: UTF8.self)
    }

    @Test("serve --demo with stdout a pipe: the sign-in instructions, with the bound port, are in the pipe once it listens")
    func demoInstructionsFlushed() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // --port 0: the instructions must name the port the server bound, not 0.
        let process = try CommandRunner.start(["serve", "--demo", "--data-dir", directory, "--port", "0"],
                                              environment: ["PORTCULLIS_PASSWORD_ITERATIONS": "100000"])
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let log = CommandRunner.waitUntilListening(process)
        #expect(log.contains("listening"), "\(log)")
        // The instructions are written before the "listening" line, so they must be in the pipe by now; buffered, they
        // would sit in the process until it exits.
        let output = Self.availableNow(process.standardOutput)
        #expect(kill(process.processIdentifier, 0) == 0, "the server is still running")
        #expect(output.contains("Demo organisation loaded"), "stdout so far: \(output)")
        let address = try #require(log.firstMatch(of: /address=(http:\/\/127\.0\.0\.1:[1-9][0-9]*)/)?.1, "\(log)")
        #expect(output.contains("Administrator: ") && output.contains("\(address)/api/v1/authz/check"), "the whole message: \(output)")
    }

    @Test("log.format = \"json\" in the config file: every line on stderr is one JSON object")
    func jsonLogs() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = directory + "/portcullis.toml"
        try "[log]\nformat = \"json\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        let process = try CommandRunner.start(["serve", "--config", config, "--data-dir", directory + "/data", "--port", String(CommandRunner.freePort())])
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let log = CommandRunner.waitUntilListening(process)
        let lines = log.split(separator: "\n").dropLast(log.hasSuffix("\n") ? 0 : 1).map(String.init)
        #expect(lines.count >= 2, "\(log)")
        var messages: [String] = []
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(object["timestamp"] is String && object["level"] is String && object["label"] as? String == "portcullis", "\(line)")
            messages.append(object["message"] as? String ?? "")
        }
        #expect(messages.contains { $0.hasSuffix("listening") }, "\(messages)")
        let listening = try #require(lines.first { $0.contains("Portcullis") && $0.contains("listening") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(listening.utf8)) as? [String: Any])
        #expect(((object["metadata"] as? [String: Any])?["address"] as? String)?.hasPrefix("http://127.0.0.1:") == true, "\(listening)")
    }

    @Test("an unknown log format stops serve at start with invalid_config naming the setting")
    func invalidFormat() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await CommandRunner.run(["serve", "--data-dir", directory, "--port", "0"], environment: ["PORTCULLIS_LOG_FORMAT": "xml"])
        #expect(result.status != 0)
        #expect(result.error.contains("invalid_config") && result.error.contains("log.format") && result.error.contains("text or json"), "\(result.error)")
    }
}
