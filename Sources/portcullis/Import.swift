import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis import`: the NDJSON import, offline, all or nothing.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import an NDJSON file into the data directory or a PostgreSQL database (all or nothing).",
        discussion: """
            One {"type": "user"|"team"|"member"|"project"|"generation", ...} per line, in dependency order. Refuses a \
            data directory a running server holds (its cache would go on serving answers the import changed): use \
            POST /api/v1/import then. With --postgres-url the lines go into that database instead, in one transaction; \
            running nodes hear of it through the database like of any write. Exit status: 0 imported, 1 refused or invalid.
            """)

    @Option(name: .customLong("data-dir"), help: "The data directory (default ./data).") var dataDir = "./data"
    @Option(name: .customLong("postgres-url"), help: "Import into this PostgreSQL database instead of the data directory.")
    var postgresURL: String?
    @Option(name: .customLong("postgres-password-file"), help: "A file holding the PostgreSQL password, instead of one in the URL.")
    var postgresPasswordFile: String?
    @Argument(help: "The NDJSON file.") var file: String

    func validate() throws {
        if postgresPasswordFile != nil && postgresURL == nil { throw ValidationError("--postgres-password-file needs --postgres-url") }
    }

    func run() throws {
        let start = ContinuousClock.now
        do {
            let written = try WriteAttribution.$current.withValue(WriteAttribution(actor: .cli("import"))) {
                try importRecords()
            }
            let counts = written.value
            let seconds = (ContinuousClock.now - start).components
            print("imported \(counts.users) users, \(counts.teams) teams, \(counts.members) members, \(counts.projects) projects, "
                + "\(counts.generations) generations in \(seconds.seconds).\(String(seconds.attoseconds / 10_000_000_000_000_000)) s "
                + "(revision \(written.revision))")
        } catch let error as PortcullisError {
            var message = error.code == .dataDirectoryInUse
                ? "import refused: \(error.message)\nuse POST /api/v1/import against the running server, or stop it first"
                : "import failed: \(error.message)"
            for detail in error.details ?? [] { message += "\n  line \(detail.line): \(detail.message)" }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            throw ExitCode(1)
        }
    }

    /// Runs the import on this thread (the main thread, off Swift's cooperative pool: both stores block while they
    /// import, and PostgreSQL's waits for NIO futures).
    private func importRecords() throws -> Written<ImportCounts> {
        if let postgresURL {
            let store = try PostgresStore(try PostgresConfiguration(url: postgresURL, passwordFile: postgresPasswordFile))
            return try store.importRecords(from: LineReader(path: file), hasher: PasswordHasher())
        }
        // The server's lock: held while we write, so no server starts on a half-imported directory either.
        let lock = try DataDirectoryLock.acquire(dataDirectory: dataDir)
        defer { withExtendedLifetime(lock) {} }
        let store = try SQLiteStore(StoreConfiguration(path: dataDir + "/portcullis.sqlite"))
        return try store.importRecords(from: LineReader(path: file), hasher: PasswordHasher())
    }
}
