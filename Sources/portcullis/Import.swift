import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis import`: the NDJSON import, offline, all or nothing.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import an NDJSON file into the data directory (all or nothing).",
        discussion: "One {\"type\": \"user\"|\"team\"|\"member\"|\"project\"|\"generation\", ...} per line, in dependency order.")

    @Option(name: .customLong("data-dir"), help: "The data directory (default ./data).") var dataDir = "./data"
    @Argument(help: "The NDJSON file.") var file: String

    func run() throws {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let store = try SQLiteStore(StoreConfiguration(path: dataDir + "/portcullis.sqlite"))
        let start = ContinuousClock.now
        do {
            let written = try store.importRecords(from: LineReader(path: file), hasher: PasswordHasher())
            let counts = written.value
            let seconds = (ContinuousClock.now - start).components
            print("imported \(counts.users) users, \(counts.teams) teams, \(counts.members) members, \(counts.projects) projects, "
                + "\(counts.generations) generations in \(seconds.seconds).\(String(seconds.attoseconds / 10_000_000_000_000_000)) s "
                + "(revision \(written.revision))")
        } catch let error as PortcullisError {
            var message = "import failed: \(error.message)"
            for detail in error.details ?? [] { message += "\n  line \(detail.line): \(detail.message)" }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            throw ExitCode(1)
        }
    }
}
