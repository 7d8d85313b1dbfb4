import ArgumentParser
import PortcullisCore

/// `portcullis`: the authentication and authorization appliance.
@main
struct Portcullis: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis",
        abstract: "A self-contained authentication and authorization appliance: one binary, one SQLite file.",
        version: PortcullisVersion.current,
        subcommands: [
            Serve.self, Check.self, Import.self, Keys.self, Seed.self, Bench.self, BenchDecisions.self,
            BenchTokens.self, BenchCache.self, BenchParsers.self, BenchAudit.self, Backup.self, Restore.self, Doctor.self, Audit.self,
            PolicyTest.self,
        ],
        defaultSubcommand: nil
    )
}
