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

    @Test("serve --demo with stdout a pipe: the sign-in instructions are in the pipe once it listens, while it still runs")
    func demoInstructionsFlushed() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = try CommandRunner.start(["serve", "--demo", "--data-dir", directory, "--port", String(CommandRunner.freePort())],
                                              environment: ["PORTCULLIS_PASSWORD_ITERATIONS": "100000"])
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let log = CommandRunner.waitUntilListening(process)
        #expect(log.contains("listening"), "\(log)")
        // The instructions are written before the server starts, so they must be in the pipe by now; buffered, they
        // would sit in the process until it exits.
        let output = Self.availableNow(process.standardOutput)
        #expect(kill(process.processIdentifier, 0) == 0, "the server is still running")
        #expect(output.contains("Demo organisation loaded"), "stdout so far: \(output)")
        #expect(output.contains("Administrator: ") && output.contains("/api/v1/authz/check"), "the whole message: \(output)")
    }
}
