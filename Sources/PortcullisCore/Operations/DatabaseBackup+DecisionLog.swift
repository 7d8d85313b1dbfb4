import Foundation
import GRDB
import PortcullisModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DatabaseBackup {
    /// The decision log's file name in the data directory.
    public static let decisionLogFileName = "decisions.sqlite"

    /// Where a backup at `path` keeps its decision log.
    public static func decisionLogBackupPath(_ path: String) -> String { path + ".decisions" }

    /// Copies the decision log (consistently, while a server writes to it) beside the backup at `destination`.
    /// Returns the copy's path, or nil when there is no log.
    static func backupDecisionLog(_ logPath: String, beside destination: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: logPath) else { return nil }
        let target = decisionLogBackupPath(destination)
        guard !FileManager.default.fileExists(atPath: target) else {
            throw PortcullisError(.conflict, "\(target) exists; choose a new file name")
        }
        let partial = target + ".partial"
        try copy(from: logPath, to: partial, mode: 0o600)
        guard isDecisionLog(partial) else {
            unlink(partial)
            throw PortcullisError(.backupFailed, "the copy of the decision log failed its check")
        }
        try replace(target, with: partial)
        return target
    }

    /// The decision log backed up beside `backup`, checked; nil when the backup has none.
    /// - Throws: `invalid_backup` when it is there but not a sound decision log (then nothing is restored).
    static func validatedDecisionLogBackup(beside backup: String) throws -> String? {
        let path = decisionLogBackupPath(backup)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard isDecisionLog(path) else { throw PortcullisError(.invalidBackup, "\(path) is not a sound decision log") }
        return path
    }

    /// Puts the decision log at `source` in place of the data directory's, keeping the old one as `.pre-restore`.
    static func restoreDecisionLog(from source: String, dataDirectory: String) throws -> String {
        let path = dataDirectory + "/" + decisionLogFileName
        let incoming = path + ".restoring"
        try copy(from: source, to: incoming, mode: 0o600)
        let kept = path + ".pre-restore"
        if FileManager.default.fileExists(atPath: path) {
            for suffix in ["", "-wal", "-shm", "-journal"] { unlink(kept + suffix) }
            checkpoint(path)
            rename(path, kept)
        }
        for suffix in ["-wal", "-shm", "-journal"] { unlink(path + suffix) }
        try replace(path, with: incoming)
        DataDirectoryOwnership.adopt(paths: [path, kept], dataDirectory: dataDirectory)
        return path
    }

    /// Whether `path` passes `quick_check` and holds the `decisions` table.
    static func isDecisionLog(_ path: String) -> Bool {
        var readOnly = Configuration()
        readOnly.readonly = true
        guard let queue = try? DatabaseQueue(path: path, configuration: readOnly) else { return false }
        defer { try? queue.close() }
        return (try? queue.read { db in
            try String.fetchOne(db, sql: "PRAGMA quick_check") == "ok" && db.tableExists("decisions")
        }) ?? false
    }
}
