import Foundation
import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

/// A bulk write's creates and updates are stored without `after` and derived on read (SQLiteStore+DerivedAfter):
/// whatever happens to the entities later, the change reads exactly as the memory backend, which stores every `after`,
/// gives it.
@Suite("Changes: an import's after, derived on read")
struct SQLiteStoreDerivedAfterTests {
    static let created = "2026-01-01T00:00:00.000Z"

    /// Every line carries its `created_at`, so both backends store the same entities.
    static let firstImport = [
        #"{"type":"user","id":"u1","email":"u1@example.com","display_name":"Imported","created_at":"\#(created)"}"#,
        #"{"type":"user","id":"u2","email":"u2@example.com","created_at":"\#(created)","deleted_at":"2026-01-02T00:00:00.000Z"}"#,
        #"{"type":"user","id":"u3","email":"u3@example.com","created_at":"\#(created)"}"#,
        // A user and a team with the same id: a later change of the team is not the user's.
        #"{"type":"user","id":"same","email":"same@example.com","created_at":"\#(created)"}"#,
        #"{"type":"team","id":"t1","name":"T1","owner_id":"u1","created_at":"\#(created)"}"#,
        #"{"type":"team","id":"same","name":"Same","owner_id":"u3","created_at":"\#(created)"}"#,
        // The owner's membership, replaced in the same import: a create then an update of one entity, one revision.
        #"{"type":"member","team_id":"t1","user_id":"u1","role":"admin","permissions":["download"],"created_at":"\#(created)"}"#,
        #"{"type":"member","team_id":"t1","user_id":"u3","role":"viewer","created_at":"\#(created)"}"#,
        // Time bounds (stored as milliseconds), never touched later: its after is read from the row.
        #"{"type":"member","team_id":"same","user_id":"u1","role":"viewer","starts_at":"2026-02-01T00:00:00Z","expires_at":"2030-01-01T00:00:00.5Z","created_at":"\#(created)"}"#,
        #"{"type":"project","id":"p1","name":"P1","owner_id":"u1","team_id":"t1","visibility":"team","created_at":"\#(created)"}"#,
        #"{"type":"project","id":"p2","name":"P2","owner_id":"u3","created_at":"\#(created)"}"#,
        #"{"type":"generation","id":"g1","owner_id":"u1","project_id":"p1","status":"pending","created_at":"\#(created)"}"#,
        #"{"type":"generation","id":"g2","owner_id":"u1","status":"completed","media_key":"media/g2.png","created_at":"\#(created)"}"#,
        #"{"type":"generation","id":"g3","owner_id":"u3","created_at":"\#(created)","deleted_at":"2026-01-03T00:00:00.000Z"}"#,
    ]

    /// A second import replacing a membership the first one created: its update's `after` is derived too.
    /// It gives the membership an end, which the later removal's `before` carries.
    static let secondImport = [#"{"type":"member","team_id":"t1","user_id":"u3","role":"editor","expires_at":"2031-01-01T00:00:00Z"}"#]

    /// Both imports, then later writes touching some of the imported entities; u2, user `same`, t1, p2 and g3 are
    /// left alone (u2 and g3 were deleted by the import itself). Returns the two imports' revisions.
    static func scenario(_ store: any Store) async throws -> (first: Int64, second: Int64) {
        let (first, second) = try WriteAttribution.$current.withValue(WriteAttribution(actor: .cli("import"))) {
            (try store.importRecords(from: StoreConformanceTests.numbered(firstImport), hasher: StoreConformanceTests.importHasher).revision,
             try store.importRecords(from: StoreConformanceTests.numbered(secondImport), hasher: StoreConformanceTests.importHasher).revision)
        }
        try await WriteAttribution.$current.withValue(WriteAttribution(actor: .apiKey("key-1"), requestId: "later")) {
            _ = try await store.updateUser("u1", UserPatch(displayName: "Renamed"), passwordHash: nil)
            _ = try await store.deleteUser("u3")
            _ = try await store.updateTeam("same", TeamPatch(name: "Renamed team"))
            _ = try await store.putMember(teamId: "t1", userId: "u1", MembershipInput(role: .viewer))
            _ = try await store.deleteMember(teamId: "t1", userId: "u3")
            _ = try await store.updateGeneration("g1", GenerationPatch(status: .completed))
            _ = try await store.deleteGeneration("g2")
            _ = try await store.updateProject("p1", ProjectPatch(name: "P1 renamed"))
        }
        return (first, second)
    }

    /// Every change of `revision`, as the API writes it, without `at` (each backend has its own clock).
    static func lines(_ store: any Store, revision: Int64, entityId: String? = nil) async throws -> [String] {
        let page = try await store.changes(ChangeQuery(after: ChangePosition(revision: revision - 1), entityId: entityId, limit: 1000))
        return page.items.filter { $0.revision == revision }.map { change in
            var change = change
            change.at = "-"
            return String(decoding: change.json, as: UTF8.self)
        }
    }

    static func sqliteStore() throws -> (store: SQLiteStore, folder: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-derived-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SQLiteStore(StoreConfiguration(path: folder.appendingPathComponent("portcullis.sqlite").path, synchronous: .normal))
        return (store, folder)
    }

    @Test("imported entities later updated, deleted, removed or never touched read byte for byte as the memory backend's")
    func matchesStoredAfters() async throws {
        let (sqlite, folder) = try Self.sqliteStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        let memory = StoreBackend.memory()
        let revisions = try await Self.scenario(sqlite)
        #expect(try await Self.scenario(memory) == revisions)

        for revision in [revisions.first, revisions.second] {
            let derived = try await Self.lines(sqlite, revision: revision)
            let stored = try await Self.lines(memory, revision: revision)
            #expect(!derived.isEmpty)
            #expect(derived == stored, "revision \(revision)")
        }
        // Filtered by id: the user `same` keeps its own after, not its namesake team's before.
        #expect(try await Self.lines(sqlite, revision: revisions.first, entityId: "same")
            == (try await Self.lines(memory, revision: revisions.first, entityId: "same")))
        // Paged three at a time, as a reader resuming often would: the same.
        var paged: [Change] = []
        var position = ChangePosition(revision: 0)
        while true {
            let page = try await sqlite.changes(ChangeQuery(after: position, limit: 3))
            if page.items.isEmpty { break }
            paged += page.items
            position = page.end(after: position)
        }
        #expect(paged == (try await sqlite.changes(ChangeQuery(after: ChangePosition(revision: 0), limit: 1000)).items))
        #expect(paged.allSatisfy { $0.after != nil || $0.op == .delete }, "no create or update without after")
    }

    @Test("the import-time state, field by field: the change log is not the entity's current state")
    func importTimeState() async throws {
        let (store, folder) = try Self.sqliteStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        let revisions = try await Self.scenario(store)
        let items = try await store.changes(ChangeQuery(after: ChangePosition(revision: revisions.first - 1), limit: 1000)).items
            .filter { $0.revision == revisions.first }
        func after(_ entity: ChangeEntity, _ id: String, _ op: ChangeOp = .create) throws -> [String: Any] {
            let change = try #require(items.first { $0.entity == entity && $0.entityId == id && $0.op == op })
            return StoreConformanceTests.after(change.after)
        }
        #expect(try after(.user, "u1")["display_name"] as? String == "Imported", "updated later")
        #expect(try after(.user, "u3")["deleted_at"] == nil, "soft-deleted later")
        #expect(try after(.user, "u2")["deleted_at"] as? String == "2026-01-02T00:00:00.000Z", "soft-deleted by the import, never touched")
        #expect(try after(.user, "same")["email"] as? String == "same@example.com", "a user, not the team that shares its id")
        #expect(try after(.team, "same")["name"] as? String == "Same")
        #expect(try after(.member, "t1/u1")["role"] as? String == "owner", "the team's owner membership, replaced in the same import")
        #expect(try after(.member, "t1/u1", .update)["role"] as? String == "admin")
        #expect(try after(.member, "t1/u1", .update)["permissions"] as? [String] == ["download"])
        #expect(try after(.member, "t1/u3")["role"] as? String == "viewer", "replaced by a later import, then removed")
        #expect(try after(.member, "t1/u3")["expires_at"] == nil, "the bound came with the second import")
        #expect(try after(.member, "same/u1")["starts_at"] as? String == "2026-02-01T00:00:00.000Z")
        #expect(try after(.member, "same/u1")["expires_at"] as? String == "2030-01-01T00:00:00.500Z")
        #expect(try after(.project, "p1")["name"] as? String == "P1")
        #expect(try after(.project, "p2")["name"] as? String == "P2", "never touched")
        #expect(try after(.generation, "g1")["status"] as? String == "pending")
        #expect(try after(.generation, "g2")["deleted_at"] == nil && after(.generation, "g2")["media_key"] as? String == "media/g2.png")
        #expect(try after(.generation, "g3")["deleted_at"] as? String == "2026-01-03T00:00:00.000Z")
    }

    @Test("stored without after: the import writes each entity's JSON once, in the change that replaces it")
    func storedNarrow() async throws {
        let (store, folder) = try Self.sqliteStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        let revisions = try await Self.scenario(store)
        let (withAfter, total, revisionRows) = try await store.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM changes WHERE revision = ? AND after IS NOT NULL", arguments: [revisions.first]),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM changes WHERE revision = ?", arguments: [revisions.first]),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM change_revisions WHERE revision = ?", arguments: [revisions.first]))
        }
        #expect(withAfter == 0 && total == Self.firstImport.count + 2, "14 lines, 2 owner memberships")
        #expect(revisionRows == 1, "at, actor and request id once per revision")
    }
}
