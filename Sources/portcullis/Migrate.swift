import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis migrate`: a SQLite appliance's data copied into an empty PostgreSQL database, all or nothing.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a SQLite data directory into an empty PostgreSQL database (all or nothing, revision kept).",
        discussion: """
            Reads DATA_DIR/portcullis.sqlite in one read transaction and writes every table that holds state into \
            the PostgreSQL database in one transaction (migrations applied first). Refuses a data directory a running \
            server holds, and a target that holds any directory row, API key or a revision above 0; nothing is \
            changed then. The decision log and the media signing keys are not copied. Exit status: 0 copied, 1 \
            refused or failed (nothing written).
            """)

    @Option(name: .customLong("from-sqlite"), help: "The SQLite data directory to copy (the one holding portcullis.sqlite).")
    var dataDir: String
    @Option(name: .customLong("to-postgres"), help: "The empty target: postgres://user[:password]@host:port/database[?sslmode=…].")
    var url: String
    @Option(name: .customLong("postgres-password-file"), help: "A file holding the password, instead of one in the URL.")
    var passwordFile: String?

    func run() throws {
        let start = ContinuousClock.now
        let databasePath = dataDir + "/portcullis.sqlite"
        do {
            guard FileManager.default.fileExists(atPath: databasePath) else {
                throw PortcullisError(.notFound, "no database at \(databasePath)")
            }
            // The server's lock: no server writes (or starts on) the source while it is copied.
            let lock = try DataDirectoryLock.acquire(dataDirectory: dataDir)
            defer { withExtendedLifetime(lock) {} }
            let configuration = try PostgresConfiguration(url: url, passwordFile: passwordFile)
            let store = try PostgresStore(configuration)
            let summary = try SQLiteTableSnapshot.read(path: databasePath) { snapshot in
                try SQLiteToPostgresCopy.run(from: snapshot, into: store)
            }
            for (table, count) in summary.rows {
                print("  \(table.padding(toLength: 18, withPad: " ", startingAt: 0)) \(count)")
            }
            print("not copied: the decision log (\(DatabaseBackup.decisionLogFileName)) and the media signing keys (signing-keys): "
                + "nodes keep both in PostgreSQL from their first start (media URLs signed before the move stop verifying); "
                + "the old decision log stays readable in \(dataDir)")
            let elapsed = (ContinuousClock.now - start) / .milliseconds(1)
            print("migrated \(databasePath) to \(configuration.redactedDescription) at revision \(summary.revision) in \(Int(elapsed)) ms")
        } catch let error as PortcullisError {
            let message = switch error.code {
            case .dataDirectoryInUse:
                "migrate refused: \(error.message)\nstop the server first: the copy must hold the data directory's last revision"
            case .conflict, .notFound: "migrate refused: \(error.message)"
            default: "migrate failed: \(error.message)"
            }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            throw ExitCode(1)
        }
    }
}
