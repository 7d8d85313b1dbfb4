import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis restore`: puts a backup in place of the database, with the server stopped.
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace the database with a backup FILE (the server must be stopped).",
        discussion: """
            Refuses while a server uses the data directory: `serve` holds an exclusive lock on <data-dir>/serve.lock \
            for its whole life (released by the kernel however it exits), and restore takes the same lock, so no \
            server can start during a restore either. FILE must pass integrity_check and be a Portcullis database \
            this version can serve. It is copied next to the database, checked, and renamed over it atomically; the \
            database it replaces is kept as portcullis.sqlite.pre-restore. A decision log backed up beside FILE \
            (FILE.decisions) replaces the current one, kept as decisions.sqlite.pre-restore. Exit status: 0 restored, \
            1 refused or failed.
            """)

    @OptionGroup var location: DataDirectoryOptions
    @Argument(help: "The backup file to restore.") var file: String

    func run() throws {
        let settings = try location.settings()
        do {
            guard FileManager.default.fileExists(atPath: file) else {
                throw PortcullisError(.notFound, "no backup at \(file)")
            }
            let lock = try DataDirectoryLock.acquire(dataDirectory: settings.dataDirectory)
            let summary = try withExtendedLifetime(lock) {
                try DatabaseBackup.restore(from: file, databasePath: settings.databasePath, dataDirectory: settings.dataDirectory)
            }
            print("restored revision \(summary.revision) from \(file) into \(summary.path) (\(summary.bytes) bytes)")
            if let log = summary.decisionLog { print("restored the decision log from \(DatabaseBackup.decisionLogBackupPath(file)) into \(log)") }
            if FileManager.default.fileExists(atPath: settings.databasePath + ".pre-restore") {
                print("the previous database is kept as \(settings.databasePath).pre-restore")
            }
        } catch let error as PortcullisError {
            let hint = error.code == .dataDirectoryInUse ? "\nstop the server first (systemctl stop portcullis), then restore" : ""
            FileHandle.standardError.write(Data("restore refused: \(error.message)\(hint)\n".utf8))
            throw ExitCode(1)
        }
    }
}
