import ArgumentParser
import PortcullisCore
import PortcullisSQLite

/// `portcullis`: the authentication and authorization appliance.
@main
struct Portcullis: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis",
        abstract: "A self-contained authentication and authorization appliance: one binary, one SQLite file.",
        version: PortcullisVersion.current,
        subcommands: [
            Serve.self, Check.self, Import.self, Keys.self, Seed.self, Bench.self, BenchDecisions.self,
            BenchTokens.self, BenchCache.self, BenchParsers.self, BenchAudit.self, Backup.self, Restore.self, Migrate.self, Doctor.self, Audit.self,
            PolicyTest.self,
        ],
        defaultSubcommand: nil
    )

    /// ArgumentParser's own entry, after SQLite's process-wide settings, which only hold when made before its first use.
    static func main() async {
        SQLiteLibrary.configure()
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
