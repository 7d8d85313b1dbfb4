import ArgumentParser
import Foundation

/// Runs a program to completion with `posix_spawnp`, capturing standard output and error.
///
/// Foundation's `Process.run()` intermittently crashes on Linux with this toolchain, so the command spawns directly.
enum Subprocess {
    struct Output {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        var outputPipe: [Int32] = [0, 0], errorPipe: [Int32] = [0, 0]
        guard pipe(&outputPipe) == 0, pipe(&errorPipe) == 0 else { throw ValidationError("cannot create pipes") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        posix_spawn_file_actions_addclose(&actions, outputPipe[0])
        posix_spawn_file_actions_addclose(&actions, errorPipe[0])
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, &argv, &envp)
        close(outputPipe[1])
        close(errorPipe[1])
        defer {
            close(outputPipe[0])
            close(errorPipe[0])
        }
        guard spawned == 0 else { throw ValidationError("cannot run \(arguments[0]) (is it installed?)") }
        // Drain stderr on another thread so neither pipe can fill up and block the child.
        let errorData = LockedData()
        let errorRead = DispatchSemaphore(value: 0)
        let descriptor = errorPipe[0]
        Thread.detachNewThread {
            errorData.set(FileHandle(fileDescriptor: descriptor, closeOnDealloc: false).readDataToEndOfFile())
            errorRead.signal()
        }
        let output = FileHandle(fileDescriptor: outputPipe[0], closeOnDealloc: false).readDataToEndOfFile()
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        errorRead.wait()
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Output(status: exitStatus, standardOutput: String(decoding: output, as: UTF8.self),
                      standardError: String(decoding: errorData.value, as: UTF8.self))
    }
}

/// Data handed from the stderr reader thread. `@unchecked Sendable`: every access holds the lock.
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?

    func set(_ value: Data) { lock.withLock { data = value } }
    var value: Data { lock.withLock { data ?? Data() } }
}

/// A program left running while the caller works (the floor server of `portcullis bench`): standard input from
/// /dev/null, standard output piped to the caller (read with `readLine`), standard error shared with the caller.
final class BackgroundProcess {
    let processIdentifier: pid_t
    private let output: Int32
    private var exited = false

    init(_ arguments: [String]) throws {
        var outputPipe: [Int32] = [0, 0]
        guard pipe(&outputPipe) == 0 else { throw ValidationError("cannot create a pipe") }
        // The read end stays with us alone: a child that inherited it would keep its own pipe open.
        _ = fcntl(outputPipe[0], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        close(outputPipe[1])
        guard spawned == 0 else {
            close(outputPipe[0])
            throw ValidationError("cannot run \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        processIdentifier = pid
        output = outputPipe[0]
    }

    deinit {
        stop()
        close(output)
    }

    /// The next line of standard output, or nil when none came within `timeout` seconds (or the program exited).
    func readLine(timeout: Double) -> String? {
        var line: [UInt8] = []
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeout * 1e9)
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { return nil }
            var descriptor = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32((deadline - now) / 1_000_000) + 1)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return nil }
            var byte: UInt8 = 0
            guard read(output, &byte, 1) == 1 else { return nil }
            if byte == 0x0A { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
    }

    /// SIGTERM, then SIGKILL if the program has not exited within `grace` seconds; reaps it either way.
    func stop(grace: Double = 10) {
        guard !exited else { return }
        exited = true
        kill(processIdentifier, SIGTERM)
        var status: Int32 = 0
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(grace * 1e9)
        while waitpid(processIdentifier, &status, WNOHANG) == 0 {
            if DispatchTime.now().uptimeNanoseconds > deadline {
                kill(processIdentifier, SIGKILL)
                waitpid(processIdentifier, &status, 0)
                return
            }
            usleep(10_000)
        }
    }
}
