import PortcullisModel
import PortcullisStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// An exclusive `flock` on `<data-dir>/serve.lock`: held by `portcullis serve` for its whole life, and by
/// `portcullis restore` while it replaces the database.
///
/// The kernel drops a `flock` when its process ends, however it ends (`kill -9` included), so a lock is never left
/// stale, unlike a PID file; and it works without the server listening yet, unlike probing the port. The file holds
/// the holder's PID, for messages only.
public final class DataDirectoryLock: Sendable {
    /// The lock file's name inside the data directory.
    public static let fileName = "serve.lock"
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Takes the lock, creating the data directory if needed.
    /// - Throws: `data_dir_in_use` (409) naming the holder's PID when another process holds it; `lock_unavailable` when
    ///   the lock file cannot be opened.
    public static func acquire(dataDirectory: String) throws -> DataDirectoryLock {
        try DataDirectory.prepare(dataDirectory)
        let path = dataDirectory + "/" + fileName
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw PortcullisError(.lockUnavailable, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        DataDirectoryOwnership.adopt(descriptor: descriptor, dataDirectory: dataDirectory)
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            let holder = holderDescription(path)
            throw PortcullisError(.dataDirectoryInUse, "\(dataDirectory) is in use by \(holder) (\(path) is locked)")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return DataDirectoryLock(descriptor: descriptor)
    }

    /// Takes the lock and keeps it until the process exits (the descriptor is deliberately never closed).
    public static func holdUntilExit(dataDirectory: String) throws {
        let lock = try acquire(dataDirectory: dataDirectory)
        _ = dup(lock.descriptor)
    }

    /// The PID of the process holding the lock, or nil when nobody holds it (a probe that takes no lock of its own
    /// for longer than the call). Also nil when the lock file cannot be opened (absent, or unreadable to this user);
    /// 0 when it is held but the PID in it cannot be read.
    public static func holder(dataDirectory: String) -> Int32? {
        let path = dataDirectory + "/" + fileName
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        // A shared lock succeeds unless someone holds the exclusive one; release it at once.
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return nil
        }
        return pid(in: path) ?? 0
    }

    private static func pid(in path: String) -> Int32? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return Int32(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private static func holderDescription(_ path: String) -> String {
        pid(in: path).map { "process \($0)" } ?? "another process"
    }
}
