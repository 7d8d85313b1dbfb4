import Foundation
import GRDB
import Testing

@testable import PortcullisCore
@testable import PortcullisStore

/// schema/0010_check_comparisons.sql on a database written before it: the same values are accepted and refused, the rows
/// are untouched, and a write no longer builds a temporary index of the value list.
@Suite("Schema: value-list checks as comparisons")
struct SQLiteStoreCheckMigrationTests {
    /// The one row of each table the test writes, by its key.
    static let keys = [
        "generations": "id = 'g1'", "projects": "id = 'p1'", "team_members": "team_id = 't1' AND user_id = 'u1'",
        "changes": "revision = 1 AND seq = 0", "change_revisions": "revision = 1",
    ]

    /// A statement that checks `list`'s constraint: an UPDATE of its column in one row (a CHECK is evaluated on every
    /// write of it).
    static func checkingStatement(_ list: (table: String, column: String, values: [String])) -> String {
        "UPDATE \(list.table) SET \(list.column) = ?1 WHERE \(keys[list.table]!)"
    }

    /// The bytecode opcodes of `sql`.
    static func opcodes(_ db: Database, _ sql: String) throws -> [String] {
        try Row.fetchAll(db, sql: "EXPLAIN " + sql, arguments: ["x"]).map { $0["opcode"] as String }
    }

    @Test("the same values pass, others fail, rows are kept, and no write builds a temporary index of a list")
    func migrates() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-checks-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("portcullis.sqlite").path

        let queue = try DatabaseQueue(path: path)
        try Migrations.migrator.migrate(queue, upTo: "0009_team_search")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO users (id, email, created_at) VALUES ('u1', 'u1@example.com', '2026-11-01T10:00:00.000Z');
                INSERT INTO teams (id, name, owner_id, created_at) VALUES ('t1', 'T', 'u1', '2026-11-01T10:00:00.000Z');
                INSERT INTO team_members (team_id, user_id, role, created_at) VALUES ('t1', 'u1', 'editor', '2026-11-01T10:00:00.000Z');
                INSERT INTO projects (id, name, owner_id, team_id, visibility, created_at) VALUES ('p1', 'P', 'u1', 't1', 'team', '2026-11-01T10:00:00.000Z');
                INSERT INTO generations (id, owner_id, project_id, status, created_at) VALUES ('g1', 'u1', 'p1', 'running', '2026-11-01T10:00:00.000Z');
                """)
            // Before: every listed constraint builds its list's temporary index (what the migration removes).
            for list in Migrations.comparedLists {
                #expect(try Self.opcodes(db, Self.checkingStatement(list)).contains("OpenEphemeral"), "\(list.table).\(list.column)")
            }
        }
        try queue.close()

        let store = try SQLiteStore(StoreConfiguration(path: path, synchronous: .normal))
        #expect(try store.pendingMigrations().isEmpty)
        try store.pool.write { db in
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
            #expect(try String.fetchAll(db, sql: "SELECT status FROM generations") == ["running"])
            #expect(try String.fetchAll(db, sql: "SELECT role FROM team_members") == ["editor"])
            #expect(try String.fetchAll(db, sql: "SELECT visibility FROM projects") == ["team"])
            for list in Migrations.comparedLists {
                let sql = Self.checkingStatement(list)
                #expect(!(try Self.opcodes(db, sql).contains("OpenEphemeral")), "\(list.table).\(list.column)")
                // Every listed value passes and anything else is refused, as before (the changes tables are empty, so an
                // UPDATE there checks nothing: their inserts are tried below).
                guard list.table != "changes", list.table != "change_revisions" else { continue }
                for value in list.values {
                    try db.execute(sql: sql, arguments: [value])
                }
                #expect(throws: DatabaseError.self) { try db.execute(sql: sql, arguments: [list.values[0].uppercased()]) }
                #expect(throws: DatabaseError.self) { try db.execute(sql: sql, arguments: [list.values[0] + " "]) }
            }
            try db.execute(sql: "INSERT INTO change_revisions (revision, at, actor_kind) VALUES (1, '2026-11-01T10:00:00.000Z', 'cli')")
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO change_revisions (revision, at, actor_kind) VALUES (2, '2026-11-01T10:00:00.000Z', 'robot')")
            }
            try db.execute(sql: "INSERT INTO changes (revision, seq, entity, entity_id, op) VALUES (1, 0, 'api_key', 'k1', 'activate')")
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO changes (revision, seq, entity, entity_id, op) VALUES (1, 1, 'api_keys', 'k1', 'create')")
            }
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO changes (revision, seq, entity, entity_id, op) VALUES (1, 2, 'user', 'u1', 'rename')")
            }
        }
        // A connection opened afterwards reads the new schema too.
        let reopened = try DatabaseQueue(path: path)
        try reopened.read { db in
            let generations = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_schema WHERE name = 'generations'") ?? ""
            #expect(generations.contains("(status = 'pending' OR status = 'running' OR status = 'completed' OR status = 'failed')"))
            #expect(!generations.contains("status IN ("))
        }
        try reopened.close()
    }
}
