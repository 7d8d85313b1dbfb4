import PortcullisModel
import PortcullisStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import GRDB

/// Online backups and offline restores of the database file, through SQLite's backup API.
///
/// ```swift
/// let copy = try DatabaseBackup.backup(databasePath: "/var/lib/portcullis/portcullis.sqlite", to: "/root/portcullis.bak")
/// print(copy.revision)
/// ```
public enum DatabaseBackup {
    /// What a backup or restore wrote.
    public struct Summary: Sendable {
        /// The file written.
        public var path: String
        /// Its size in bytes.
        public var bytes: Int64
        /// The data revision it holds.
        public var revision: Int64
        /// The decision log copied beside it (`<file>.decisions`), or restored with it; nil when there was none.
        public var decisionLog: String?
    }

    /// Copies the database to `destination` while a server may be running.
    ///
    /// The copy is one step of `sqlite3_backup` inside one read transaction: a consistent snapshot at one revision,
    /// taken without blocking the server's writers (WAL). The result is a single self-contained file (rollback
    /// journal mode, no `-wal` beside it), mode 0600 since it holds password and key hashes, written under a
    /// temporary name and renamed into place, so `destination` is never half a backup.
    /// - Throws: `conflict` when `destination` exists; `not_found` when there is no database.
    /// With `decisionLogPath`, the decision log is copied beside it the same way, as `<destination>.decisions`
    /// (`decisionLogBackupPath`).
    public static func backup(databasePath: String, to destination: String, decisionLogPath: String? = nil) throws -> Summary {
        guard FileManager.default.fileExists(atPath: databasePath) else {
            throw PortcullisError(.notFound, "no database at \(databasePath)")
        }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw PortcullisError(.conflict, "\(destination) exists; choose a new file name")
        }
        let partial = destination + ".partial"
        try copy(from: databasePath, to: partial, mode: 0o600)
        let inspection = try DatabaseInspection.inspect(path: partial, quick: true)
        guard inspection.isIntact else {
            unlink(partial)
            let problems = inspection.integrity.prefix(3).joined(separator: "; ")
            throw PortcullisError(.backupFailed, "the copy failed its check: \(problems)")
        }
        try replace(destination, with: partial)
        let log = try decisionLogPath.flatMap { try backupDecisionLog($0, beside: destination) }
        return Summary(path: destination, bytes: size(destination), revision: inspection.revision ?? 0, decisionLog: log)
    }

    /// Checks that `path` is a sound Portcullis database this binary can serve.
    /// - Returns: the inspection of the file.
    /// - Throws: `invalid_backup` when it is not intact, not a Portcullis database, or from a newer Portcullis.
    public static func validate(_ path: String) throws -> DatabaseInspection {
        let inspection: DatabaseInspection
        do {
            inspection = try DatabaseInspection.inspect(path: path)
        } catch let error as PortcullisError where error.code == .storeUnavailable {
            throw PortcullisError(.invalidBackup, "\(path) is not a readable SQLite database (\(error.message))")
        }
        guard inspection.isIntact else {
            throw PortcullisError(.invalidBackup, "\(path) fails integrity_check: \(inspection.integrity.prefix(3).joined(separator: "; "))")
        }
        guard inspection.isPortcullisDatabase else {
            throw PortcullisError(.invalidBackup, "\(path) is not a Portcullis database")
        }
        guard inspection.unknown.isEmpty else {
            throw PortcullisError(.invalidBackup, "\(path) was written by a newer Portcullis (migrations \(inspection.unknown.joined(separator: ", ")))")
        }
        return inspection
    }

    /// Replaces the database at `databasePath` with the backup at `source`. No server may be using it: the caller
    /// holds the data directory's `DataDirectoryLock`.
    ///
    /// The backup is validated, copied next to the database and checked again, then renamed over it in one atomic
    /// step. The database it replaces is kept as `<database>.pre-restore` (with its WAL, if it could not be
    /// checkpointed, as `<database>.pre-restore-wal`), replacing an older one. A decision log backed up beside the
    /// backup (`<source>.decisions`) replaces the data directory's, which is kept as `decisions.sqlite.pre-restore`;
    /// without one, the current log stays (it is history, not derived data). The old `-wal`/`-shm` files are moved
    /// away before the rename: an old WAL must never be replayed onto the restored file. Derived files (the decision
    /// cache) are deleted.
    public static func restore(from source: String, databasePath: String, dataDirectory: String) throws -> Summary {
        _ = try validate(source)
        let logBackup = try validatedDecisionLogBackup(beside: source)
        let incoming = databasePath + ".restoring"
        try copy(from: source, to: incoming, mode: 0o600)
        let copied = try DatabaseInspection.inspect(path: incoming, quick: true)
        guard copied.isIntact else {
            unlink(incoming)
            throw PortcullisError(.restoreFailed, "the copy of \(source) failed its check; nothing was replaced")
        }
        let kept = databasePath + ".pre-restore"
        if FileManager.default.fileExists(atPath: databasePath) {
            checkpoint(databasePath)
            for suffix in ["", "-wal", "-shm", "-journal"] { unlink(kept + suffix) }
            guard link(databasePath, kept) == 0 else {
                unlink(incoming)
                let reason = String(cString: strerror(errno))
                throw PortcullisError(.restoreFailed, "cannot keep the old database as \(kept): \(reason)")
            }
            if size(databasePath + "-wal") > 0 { rename(databasePath + "-wal", kept + "-wal") }
        }
        for suffix in ["-wal", "-shm", "-journal"] { unlink(databasePath + suffix) }
        try replace(databasePath, with: incoming)
        // Revisions go back to the backup's and then grow again along another history, so a cached decision could
        // match versions it was not computed from: the decision cache goes with the database it was built on.
        for name in derivedFileNames {
            for suffix in ["", "-wal", "-shm", "-journal"] { unlink(dataDirectory + "/" + name + suffix) }
        }
        DataDirectoryOwnership.adopt(paths: [databasePath, kept, kept + "-wal"], dataDirectory: dataDirectory)
        let log = try logBackup.map { try restoreDecisionLog(from: $0, dataDirectory: dataDirectory) }
        return Summary(path: databasePath, bytes: size(databasePath), revision: copied.revision ?? 0, decisionLog: log)
    }

    /// Files in the data directory derived from the database and deleted by a restore: the decision cache's L2/L3
    /// database (rebuilt as decisions are made).
    public static let derivedFileNames = ["decision-cache.sqlite"]

    /// `sqlite3_backup` of `source` into a new file at `destination`, then switched to a rollback journal so the
    /// file stands alone.
    static func copy(from source: String, to destination: String, mode: mode_t) throws {
        for suffix in ["", "-wal", "-shm", "-journal"] { unlink(destination + suffix) }
        let descriptor = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw PortcullisError(.backupFailed, "cannot create \(destination): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        var readOnly = Configuration()
        readOnly.readonly = true
        do {
            let from = try DatabaseQueue(path: source, configuration: readOnly)
            defer { try? from.close() }
            let to = try DatabaseQueue(path: destination)
            defer { try? to.close() }
            try from.backup(to: to)
            try to.writeWithoutTransaction { db in
                _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")
            }
        } catch {
            for suffix in ["", "-wal", "-shm", "-journal"] { unlink(destination + suffix) }
            throw PortcullisError(.backupFailed, "cannot copy \(source) to \(destination): \(error)")
        }
    }

    /// Folds the WAL into the database file, best effort (a damaged database may refuse).
    static func checkpoint(_ path: String) {
        guard let queue = try? DatabaseQueue(path: path) else { return }
        _ = try? queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try? queue.close()
    }

    /// Makes `partial` durable and renames it to `path` atomically.
    static func replace(_ path: String, with partial: String) throws {
        let descriptor = open(partial, O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
        guard rename(partial, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(partial)
            throw PortcullisError(.backupFailed, "cannot rename \(partial) to \(path): \(reason)")
        }
        let directory = open((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent,
                             O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    static func size(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }
}
