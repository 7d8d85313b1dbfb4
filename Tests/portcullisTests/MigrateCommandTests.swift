import Foundation
import PortcullisCore
import Testing

/// `portcullis migrate` and `portcullis import --postgres-url`, run as a user runs them, against a new database of
/// the `PORTCULLIS_TEST_POSTGRES_URL` server (`bash Tests/postgres/with_postgres.sh swift test --filter MigrateCommand`).
@Suite("portcullis migrate and import --postgres-url",
       .enabled(if: MigrationDatabase.isAvailable, "PORTCULLIS_TEST_POSTGRES_URL is unset (or psql missing): migrate command tests skipped"))
struct MigrateCommandTests {
    @Test("seed, migrate (summary, refused a second time, refused while the directory is held), then import --postgres-url")
    func migrateThenImport() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let seeded = try await CommandRunner.run(["seed", "--data-dir", directory, "--users", "300", "--teams", "30", "--projects", "120",
                                                  "--generations", "3000"])
        try #require(seeded.status == 0, "\(seeded.error)")
        let url = try MigrationDatabase.create()

        var held: DataDirectoryLock? = try DataDirectoryLock.acquire(dataDirectory: directory)
        let refusedHeld = try await CommandRunner.run(["migrate", "--from-sqlite", directory, "--to-postgres", url])
        #expect(held != nil)
        held = nil
        #expect(refusedHeld.status == 1)
        #expect(refusedHeld.error.contains("migrate refused") && refusedHeld.error.contains("in use"), "\(refusedHeld.error)")

        let migrated = try await CommandRunner.run(["migrate", "--from-sqlite", directory, "--to-postgres", url])
        #expect(migrated.status == 0, "\(migrated.error)")
        #expect(migrated.output.contains("users              300"), "\(migrated.output)")
        #expect(migrated.output.contains("generations        3000"), "\(migrated.output)")
        #expect(migrated.output.contains("not copied: the decision log"), "\(migrated.output)")
        #expect(migrated.output.contains("at revision 1 "), "\(migrated.output)")

        let again = try await CommandRunner.run(["migrate", "--from-sqlite", directory, "--to-postgres", url])
        #expect(again.status == 1)
        #expect(again.error.contains("migrate refused: the target database is not empty (300 users rows"), "\(again.error)")

        let file = directory + "/people.ndjson"
        try #"""
            {"type":"user","id":"imported","email":"imported@example.com"}
            {"type":"project","id":"imported-p","name":"P","owner_id":"imported","team_id":"t1","visibility":"team"}

            """#.write(toFile: file, atomically: true, encoding: .utf8)
        let imported = try await CommandRunner.run(["import", "--postgres-url", url, file])
        #expect(imported.status == 0, "\(imported.error)")
        #expect(imported.output.contains("imported 1 users, 0 teams, 0 members, 1 projects") && imported.output.contains("(revision 2)"),
                "\(imported.output)")

        let bad = directory + "/bad.ndjson"
        try #"{"type":"project","id":"x","name":"X","owner_id":"nobody"}"#.write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try await CommandRunner.run(["import", "--postgres-url", url, bad])
        #expect(refused.status == 1)
        #expect(refused.error.contains("line 1"), "\(refused.error)")
    }
}

/// New databases on the `PORTCULLIS_TEST_POSTGRES_URL` server, made with psql (the CLI takes no schema, only a URL).
enum MigrationDatabase {
    static let serverURL = ProcessInfo.processInfo.environment["PORTCULLIS_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let psql = "/usr/lib/postgresql/15/bin/psql"
    static var isAvailable: Bool { serverURL != nil && FileManager.default.isExecutableFile(atPath: psql) }

    /// A new, empty database on the test server; its URL.
    static func create() throws -> String {
        let url = try #require(serverURL)
        let name = "migrate_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let process = try SpawnedProcess(executable: psql, arguments: ["-d", url, "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \(name)"],
                                         environment: ProcessInfo.processInfo.environment)
        let error = String(decoding: process.standardError.readDataToEndOfFile(), as: UTF8.self)
        try #require(process.terminationStatus == 0, "createdb: \(error)")
        let path = try #require(URLComponents(string: url)?.path)
        return url.replacingOccurrences(of: path + "?", with: "/" + name + "?")
    }
}
