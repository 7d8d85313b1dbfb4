import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis backup`: a consistent copy of the database, taken while the server runs.
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the database to FILE, consistently, while the server runs.",
        discussion: """
            Uses SQLite's backup API inside one read transaction: the copy holds one revision, and the server keeps \
            answering and writing meanwhile. FILE is a single self-contained SQLite file, mode 0600 (it holds password \
            and key hashes); it must not exist yet. The decision log is copied beside it, as FILE.decisions. admin.key \
            and signing-keys are not in it: copy them yourself if you need them (signed media URLs stop verifying with \
            new keys).
            """)

    @OptionGroup var location: DataDirectoryOptions
    @Argument(help: "The backup file to write.") var file: String

    func run() throws {
        let settings = try location.settings()
        let start = ContinuousClock.now
        do {
            let summary = try DatabaseBackup.backup(databasePath: settings.databasePath, to: file, decisionLogPath: settings.decisionLogPath)
            let milliseconds = (ContinuousClock.now - start) / .milliseconds(1)
            print("backed up revision \(summary.revision) of \(settings.databasePath) to \(summary.path) "
                + "(\(summary.bytes) bytes in \(Int(milliseconds)) ms)")
            if let log = summary.decisionLog { print("backed up the decision log to \(log)") }
        } catch let error as PortcullisError {
            FileHandle.standardError.write(Data("backup failed: \(error.message)\n".utf8))
            throw ExitCode(1)
        }
    }
}
