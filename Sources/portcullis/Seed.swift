import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis seed`: writes a deterministic benchmark dataset as NDJSON for `portcullis import`.
struct Seed: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a deterministic benchmark dataset as NDJSON.")

    @Option(help: "Users.") var users = 100_000
    @Option(help: "Teams.") var teams = 10_000
    @Option(name: .customLong("members-per-team"), help: "Memberships per team, owner included (about).") var membersPerTeam = 30
    @Option(help: "Projects.") var projects = 50_000
    @Option(help: "Generations.") var generations = 1_000_000
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "The NDJSON file to write.") var ndjson: String

    func run() throws {
        var dataset = SeedDataset()
        (dataset.users, dataset.teams, dataset.membershipsPerTeam) = (users, teams, membersPerTeam)
        (dataset.projects, dataset.generations, dataset.seed) = (projects, generations, seed)
        guard let file = fopen(ndjson, "w") else { throw ValidationError("cannot write \(ndjson)") }
        defer { fclose(file) }
        var lines = 0
        dataset.write { line in
            fputs(line, file)
            fputc(0x0A, file)
            lines += 1
        }
        print("wrote \(lines) lines to \(ndjson)")
    }
}
