import ArgumentParser
import Foundation

/// The floor server (`portcullis-floor`, a bare SwiftNIO HTTP/1.1 server), started by `portcullis bench` for the
/// length of a run so that every scenario is compared with what a Swift HTTP/1.1 server does on the same machine at
/// the same moment.
final class FloorServer {
    static let executableName = "portcullis-floor"

    let binary: String
    let port: Int
    let url: String
    private let process: BackgroundProcess

    var processIdentifier: pid_t { process.processIdentifier }

    /// Starts `binary --port 0 [--threads N]` and reads the port it bound from its first line of output.
    init(binary: String, threads: Int?) throws {
        var arguments = [binary, "--host", "127.0.0.1", "--port", "0"]
        if let threads { arguments += ["--threads", String(threads)] }
        process = try BackgroundProcess(arguments)
        guard let line = process.readLine(timeout: 30), let port = Int(line.trimmingCharacters(in: .whitespaces)), port > 0 else {
            process.stop()
            throw ValidationError("the floor server \(binary) did not print its port")
        }
        self.binary = binary
        self.port = port
        url = "http://127.0.0.1:\(port)"
    }

    func stop() {
        process.stop()
    }

    /// `--floor-binary`, or `portcullis-floor` in the folder of the running executable (where `swift build` puts both).
    static func locate(_ given: String?) throws -> String {
        if let given {
            guard FileManager.default.isExecutableFile(atPath: given) else { throw ValidationError("--floor-binary: no executable at \(given)") }
            return given
        }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let candidate = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent(executableName).path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw ValidationError("""
                no \(executableName) beside \(executable): build it (`swift build -c release --product \(executableName)`), \
                give --floor-binary PATH, or pass --no-floor (the report then has no ratios to the floor)
                """)
        }
        return candidate
    }
}

/// The 1-minute load average (the first field of /proc/loadavg), nil where there is none.
enum LoadAverage {
    static func oneMinute() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Double($0) }
    }
}
