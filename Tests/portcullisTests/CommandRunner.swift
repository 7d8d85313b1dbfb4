import Foundation
import PortcullisTestSupport
import Synchronization

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
                    // stderr on its own thread: a child that fills one pipe while we wait on the other would stall.
                    let error = Mutex(Data())
                    let errorDone = DispatchSemaphore(value: 0)
                    Thread.detachNewThread {
                        let data = process.standardError.readDataToEndOfFile()
                        error.withLock { $0 = data }
                        errorDone.signal()
                    }
                    let output = process.standardOutput.readDataToEndOfFile()
                    errorDone.wait()
                    process.waitUntilExit()
                    return Result(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                                  error: String(decoding: error.withLock { $0 }, as: UTF8.self))
                })
            }
        }
    }

    /// Starts the binary with piped output; the caller waits or terminates it.
    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> SpawnedProcess {
        var merged = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PORTCULLIS_") }
        merged.merge(environment) { $1 }
        return try SpawnedProcess(executable: executable.path, arguments: arguments, environment: merged)
    }

    static func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-cli-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A TCP port that was free a moment ago.
    static func freePort() -> Int { LoopbackSocket.freePort() }

    /// Reads the server's stderr until its own "listening" line is complete (the framework's comes first), or the
    /// end; returns what it read.
    static func waitUntilListening(_ process: SpawnedProcess) -> String {
        var log = ""
        while !log.split(separator: "\n").dropLast(log.hasSuffix("\n") ? 0 : 1).contains(where: { $0.contains("Portcullis") && $0.contains("listening") }) {
            let data = process.standardError.availableData
            if data.isEmpty { break }
            log += String(decoding: data, as: UTF8.self)
        }
        return log
    }
}

/// A child process started with `posix_spawn`, with piped stdout and stderr.
///
/// Not Foundation's `Process`: on Linux its `run()` reads `/proc/self/fd` with an over-read of `d_name`
/// (swift-corelibs-foundation PR #5472, in Swift 6.3.1) and crashes now and then in a test process that spawns many
/// children. The pipes are close-on-exec, so one test's child never holds another test's pipe open.
final class SpawnedProcess: Sendable {
    let processIdentifier: pid_t
    let standardOutput: FileHandle
    let standardError: FileHandle
    private let status = Mutex<Int32?>(nil)

    /// Pipe creation and spawning, one at a time: between `pipe` and `FD_CLOEXEC` a concurrent spawn could inherit the
    /// new descriptors (glibc's `pipe2` is not visible to Swift here).
    private static let spawning = Mutex(())

    init(executable: String, arguments: [String], environment: [String: String]) throws {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        let (pid, output, error) = try Self.spawning.withLock { _ throws -> (pid_t, Int32, Int32) in
            var output: [Int32] = [0, 0]
            var error: [Int32] = [0, 0]
            guard pipe(&output) == 0 else { throw POSIXError(.EMFILE) }
            guard pipe(&error) == 0 else {
                output.forEach { close($0) }
                throw POSIXError(.EMFILE)
            }
            for descriptor in output + error { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            // dup2 clears close-on-exec on the copies the child keeps as 1 and 2.
            posix_spawn_file_actions_adddup2(&actions, output[1], 1)
            posix_spawn_file_actions_adddup2(&actions, error[1], 2)
            var pid: pid_t = 0
            let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
            close(output[1])
            close(error[1])
            guard spawned == 0 else {
                close(output[0])
                close(error[0])
                throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .ENOEXEC)
            }
            return (pid, output[0], error[0])
        }
        processIdentifier = pid
        standardOutput = FileHandle(fileDescriptor: output, closeOnDealloc: true)
        standardError = FileHandle(fileDescriptor: error, closeOnDealloc: true)
    }

    /// Sends SIGTERM.
    func terminate() {
        if status.withLock({ $0 }) == nil { kill(processIdentifier, SIGTERM) }
    }

    /// Blocks until the child exits (and reaps it).
    func waitUntilExit() {
        status.withLock { status in
            guard status == nil else { return }
            var raw: Int32 = 0
            while waitpid(processIdentifier, &raw, 0) == -1 && errno == EINTR {}
            // Like Process: the exit code, or the number of the signal that ended it.
            status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : raw & 0x7f
        }
    }

    /// The exit status (waits for the exit first).
    var terminationStatus: Int32 {
        waitUntilExit()
        return status.withLock { $0 } ?? -1
    }
}
