import Foundation

/// Runs the built `portcullis` binary, as a user would.
enum CommandRunner {
    /// The executable next to the test bundle in the build folder.
    static var executable: URL {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("portcullis").path), url.path != "/" {
            url.deleteLastPathComponent()
        }
        return url.appendingPathComponent("portcullis")
    }

    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs to completion on its own thread and returns status, stdout and stderr.
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Swift.Result {
                    let process = try start(arguments, environment: environment)
                    let output = (process.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
                    let error = (process.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    return Result(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                                  error: String(decoding: error, as: UTF8.self))
                })
            }
        }
    }

    /// Starts the binary with piped output; the caller waits or terminates it.
    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PORTCULLIS_") }
        merged.merge(environment) { $1 }
        process.environment = merged
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        try process.run()
        return process
    }

    static func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-cli-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A TCP port that was free a moment ago.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Reads the server's stderr until it says it listens (or exits); returns what it read.
    static func waitUntilListening(_ process: Process) -> String {
        let handle = (process.standardError as! Pipe).fileHandleForReading
        var log = ""
        while !log.contains("listening") {
            let data = handle.availableData
            if data.isEmpty { break }
            log += String(decoding: data, as: UTF8.self)
        }
        return log
    }
}
