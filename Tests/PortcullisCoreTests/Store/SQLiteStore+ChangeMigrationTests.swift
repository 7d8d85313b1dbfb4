import Foundation
import GRDB
import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

/// schema/0008_change_revisions.sql on a database written before it: every change reads back as it did, and the log
/// goes on from there.
@Suite("Changes: migrating a change log to one row per revision")
struct SQLiteStoreChangeMigrationTests {
    /// Changes as the 0005 schema stored them (one row each, with `at`, actor and request id).
    static let recorded = [
        Change(revision: 1, seq: 0, at: "2026-11-01T10:00:00.000Z", actor: .system("bootstrap"), requestId: nil, entity: .apiKey, entityId: "key_1",
               op: .create, before: nil, after: #"{"created_at":"2026-11-01T10:00:00.000Z","id":"key_1","last_used_at":null,"name":"admin","scopes":["admin"],"source":"bootstrap"}"#),
        Change(revision: 2, seq: 0, at: "2026-11-01T10:00:01.000Z", actor: .cli("import"), requestId: nil, entity: .user, entityId: "u1",
               op: .create, before: nil, after: #"{"created_at":"2026-11-01T10:00:01.000Z","display_name":"","email":"u1@example.com","id":"u1","is_admin":false,"status":"active"}"#),
        Change(revision: 2, seq: 1, at: "2026-11-01T10:00:01.000Z", actor: .cli("import"), requestId: nil, entity: .team, entityId: "t1",
               op: .create, before: nil, after: #"{"created_at":"2026-11-01T10:00:01.000Z","id":"t1","name":"T","owner_id":"u1"}"#),
        Change(revision: 2, seq: 2, at: "2026-11-01T10:00:01.000Z", actor: .cli("import"), requestId: nil, entity: .member, entityId: "t1/u1",
               op: .create, before: nil, after: #"{"created_at":"2026-11-01T10:00:01.000Z","is_active":true,"permissions":[],"role":"owner","team_id":"t1","user_id":"u1"}"#),
        Change(revision: 4, seq: 0, at: "2026-11-01T10:00:03.000Z", actor: .apiKey("key_1"), requestId: "req-4", entity: .user, entityId: "u1",
               op: .update, before: #"{"created_at":"2026-11-01T10:00:01.000Z","display_name":"","email":"u1@example.com","id":"u1","is_admin":false,"status":"active"}"#,
               after: #"{"created_at":"2026-11-01T10:00:01.000Z","display_name":"One","email":"u1@example.com","id":"u1","is_admin":false,"status":"active"}"#),
        Change(revision: 5, seq: 0, at: "2026-11-01T10:00:04.000Z", actor: .user("u1"), requestId: "req-5", entity: .member, entityId: "t1/u1",
               op: .delete, before: #"{"created_at":"2026-11-01T10:00:01.000Z","is_active":true,"permissions":[],"role":"owner","team_id":"t1","user_id":"u1"}"#,
               after: nil),
    ]

    /// A database migrated up to 0005 only (the change log as first stored), holding `recorded` (revision 3 was a sign-in: no change).
    static func databaseBeforeChangeRevisions(_ path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try Migrations.migrator.migrate(queue, upTo: "0005_changes")
        try queue.write { db in
            #expect(try db.tableExists("change_revisions") == false)
            for change in recorded {
                try db.execute(sql: """
                    INSERT INTO changes (revision, seq, at, actor_kind, actor_id, request_id, entity, entity_id, op, before, after)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [change.revision, change.seq, change.at, change.actor.kind.rawValue, change.actor.id, change.requestId,
                                     change.entity.rawValue, change.entityId, change.op.rawValue, change.before, change.after])
            }
            try db.execute(sql: "UPDATE revision SET value = 5 WHERE id = 1")
        }
        try queue.close()
    }

    @Test("every change reads back exactly, filters still work, and the log goes on")
    func migrates() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-migration-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("portcullis.sqlite").path
        try Self.databaseBeforeChangeRevisions(path)

        let store = try SQLiteStore(StoreConfiguration(path: path, synchronous: .normal))
        #expect(try store.pendingMigrations().isEmpty)
        let items = try await store.changes(ChangeQuery(after: ChangePosition(revision: 0), limit: 1000)).items
        #expect(items == Self.recorded)
        #expect(items.map(\.json) == Self.recorded.map(\.json))
        let u1 = try await store.changes(ChangeQuery(after: ChangePosition(revision: 0), entityId: "u1")).items
        #expect(u1 == Self.recorded.filter { $0.entityId == "u1" })
        let members = try await store.changes(ChangeQuery(after: ChangePosition(revision: 0), entity: .member)).items
        #expect(members == Self.recorded.filter { $0.entity == .member })

        // A new write records in the new tables, after the migrated ones.
        let written = try await WriteAttribution.$current.withValue(WriteAttribution(actor: .apiKey("key_1"), requestId: "req-6")) {
            try await store.createUser(NewUser(id: "u2", email: "u2@example.com"), passwordHash: nil)
        }
        #expect(written.revision == 6)
        let latest = try await store.changes(ChangeQuery(after: ChangePosition(revision: 5))).items
        #expect(latest.map { "\($0.revision) \($0.seq) \($0.entityId) \($0.actor.id ?? "-") \($0.requestId ?? "-")" } == ["6 0 u2 key_1 req-6"])

        // Retention removes whole revisions through both tables.
        #expect(try await store.pruneChanges(recordedBefore: "2026-11-01T10:00:02.000Z") == 4)
        #expect(try await store.changeHorizon() == 2)
        let kept = try await store.changes(ChangeQuery(after: ChangePosition(revision: 2))).items
        #expect(kept.map(\.revision) == [4, 5, 6])
        let revisionRows = try await store.pool.read { db in try Int64.fetchAll(db, sql: "SELECT revision FROM change_revisions ORDER BY revision") }
        #expect(revisionRows == [4, 5, 6])
    }
}
