import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis seed`: a deterministic benchmark dataset, written straight into a data directory or as NDJSON.
struct Seed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a deterministic benchmark dataset into an empty data directory, or as NDJSON for import.")

    @Option(help: "Users.") var users = 100_000
    @Option(help: "Teams.") var teams = 10_000
    @Option(name: .customLong("members-per-team"), help: "Memberships per team, owner included (about).") var membersPerTeam = 30
    @Option(help: "Projects.") var projects = 50_000
    @Option(help: "Generations.") var generations = 1_000_000
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(name: .customLong("data-dir"), help: "Write into this (empty) data directory.") var dataDir: String?
    @Option(help: "Write NDJSON import lines to this file instead.") var ndjson: String?

    func validate() throws {
        guard (dataDir == nil) != (ndjson == nil) else { throw ValidationError("give exactly one of --data-dir and --ndjson") }
    }

    func run() throws {
        var dataset = SeedDataset()
        (dataset.users, dataset.teams, dataset.membershipsPerTeam) = (users, teams, membersPerTeam)
        (dataset.projects, dataset.generations, dataset.seed) = (projects, generations, seed)
        let start = ContinuousClock.now
        if let ndjson {
            guard let file = fopen(ndjson, "w") else { throw ValidationError("cannot write \(ndjson)") }
            defer { fclose(file) }
            var lines = 0
            dataset.lines { line in
                fputs(line, file)
                fputc(0x0A, file)
                lines += 1
            }
            print("wrote \(lines) lines to \(ndjson) in \(Self.seconds(since: start)) s")
            return
        }
        let directory = dataDir ?? "./data"
        do {
            let lock = try DataDirectoryLock.acquire(dataDirectory: directory)
            defer { withExtendedLifetime(lock) {} }
            let store = try SQLiteStore(StoreConfiguration(path: directory + "/portcullis.sqlite"))
            let counts = try WriteAttribution.$current.withValue(WriteAttribution(actor: .cli("seed"))) { try store.seed(dataset).value }
            print("seeded \(counts.users) users, \(counts.teams) teams, \(counts.members) members, \(counts.projects) projects, "
                + "\(counts.generations) generations into \(directory) in \(Self.seconds(since: start)) s")
        } catch let error as PortcullisError {
            throw ValidationError(error.message)
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> String {
        let elapsed = (ContinuousClock.now - start).components
        return String(format: "%.1f", Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
    }
}
