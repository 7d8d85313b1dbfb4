import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis import`: the NDJSON import, offline, all or nothing.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import an NDJSON file into the data directory (all or nothing).",
        discussion: """
            One {"type": "user"|"team"|"member"|"project"|"generation", ...} per line, in dependency order. Refuses a \
            data directory a running server holds (its cache would go on serving answers the import changed): use \
            POST /api/v1/import then. Exit status: 0 imported, 1 refused or invalid.
            """)

    @Option(name: .customLong("data-dir"), help: "The data directory (default ./data).") var dataDir = "./data"
    @Argument(help: "The NDJSON file.") var file: String

    func run() throws {
        let start = ContinuousClock.now
        do {
            // The server's lock: held while we write, so no server starts on a half-imported directory either.
            let lock = try DataDirectoryLock.acquire(dataDirectory: dataDir)
            defer { withExtendedLifetime(lock) {} }
            let store = try SQLiteStore(StoreConfiguration(path: dataDir + "/portcullis.sqlite"))
            let written = try WriteAttribution.$current.withValue(WriteAttribution(actor: .cli("import"))) {
                try store.importRecords(from: LineReader(path: file), hasher: PasswordHasher())
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
}
