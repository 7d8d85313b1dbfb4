import Foundation
import GRDB
import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

@Suite("Seeding: the direct writer stores exactly what importing the same NDJSON stores")
struct SQLiteStoreSeedTests {
    static func small() -> SeedDataset {
        var dataset = SeedDataset()
        (dataset.users, dataset.teams, dataset.membershipsPerTeam, dataset.projects, dataset.generations) = (60, 6, 8, 25, 400)
        return dataset
    }

    static func contents(_ store: SQLiteStore) throws -> [String] {
        try store.pool.read { db in
            var rows: [String] = []
            for (table, columns) in [("users", "id, email, is_admin, status, deleted_at"), ("teams", "id, name, owner_id, deleted_at"),
                                     ("team_members", "team_id, user_id, role, permissions, is_active"),
                                     ("projects", "id, name, owner_id, team_id, visibility, deleted_at"),
                                     ("generations", "id, owner_id, project_id, status, media_key, deleted_at")] {
                rows += try Row.fetchAll(db, sql: "SELECT \(columns) FROM \(table) ORDER BY 1, 2").map { "\(table) \($0)" }
            }
            return rows
        }
    }

    @Test("same rows, same decisions")
    func seedMatchesImport() throws {
        let seeded = try TestDirectory(), imported = try TestDirectory()
        let counts = try seeded.store.seed(Self.small()).value
        var lines: [(line: Int, text: Substring?)] = []
        Self.small().lines { lines.append((lines.count + 1, Substring($0))) }
        let importedCounts = try imported.store.importRecords(from: lines, hasher: PasswordHasher(iterations: 1000)).value
        #expect(counts == importedCounts)
        let seededRows = try Self.contents(seeded.store), importedRows = try Self.contents(imported.store)
        #expect(seededRows.count > 400)
        #expect(seededRows == importedRows)
        for user in 0..<60 {
            for generation in stride(from: 0, to: 400, by: 7) {
                let request = CheckRequest(userId: "u\(user)", action: .update, resourceType: .generation, resourceId: "g\(generation)")
                #expect(try seeded.engine.check(request).reason == imported.engine.check(request).reason)
            }
        }
    }

    @Test("refuses a database that already has users")
    func refusesNonEmpty() async throws {
        let directory = try TestDirectory()
        try await directory.user("someone")
        #expect(throws: PortcullisError.self) { try directory.store.seed(Self.small()) }
    }
}
