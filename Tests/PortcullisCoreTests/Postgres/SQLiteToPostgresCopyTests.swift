import Foundation
import PostgresNIO
import Testing

@testable import PortcullisCache
@testable import PortcullisCore
@testable import PortcullisPostgres
@testable import PortcullisStore

/// `portcullis migrate` (SPEC 8.4): a SQLite appliance copied into an empty PostgreSQL database answers every check
/// alike, at the same revision, with the same versions and change log; a non-empty target is refused untouched; a
/// failure part-way leaves the target empty; and the nodes' change feed goes on from the copied revision.
@Suite("SQLite to PostgreSQL copy", .enabled(if: PostgresTestDatabase.isAvailable, PostgresTestDatabase.skipMessage))
struct SQLiteToPostgresCopyTests {
    static let hasher = PasswordHasher(iterations: 1000)

    /// A SQLite store in a temporary folder, removed with it.
    final class SQLiteSource: DirectorySeeding {
        let folder: URL
        let store: SQLiteStore
        var seeded: any DirectoryStore { store }
        var path: String { folder.appendingPathComponent("portcullis.sqlite").path }

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-migrate-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            store = try SQLiteStore(StoreConfiguration(path: folder.appendingPathComponent("portcullis.sqlite").path, synchronous: .normal))
        }

        deinit {
            try? FileManager.default.removeItem(at: folder)
        }

        /// Every id of a table's column, in byte order, read through the snapshot the copy reads.
        func ids(_ table: String, column: String = "id") throws -> [String] {
            try SQLiteTableSnapshot.read(path: path) { snapshot in
                var ids: [String] = []
                try snapshot.forEachBatch(of: table, columns: [column], orderedBy: [column], batchSize: 1000) { rows in
                    for row in rows { if case .text(let id) = row[0] { ids.append(id) } }
                }
                return ids
            }
        }

        func copy(into store: PostgresStore) throws -> SQLiteToPostgresCopy.Summary {
            try SQLiteTableSnapshot.read(path: path) { try SQLiteToPostgresCopy.run(from: $0, into: store) }
        }
    }

    /// A varied directory: the seed generator at small size, the demo organisation through the import, then
    /// hand-made cases — time-bound memberships (past, current, future), soft-deleted generations, projects and
    /// teams, public projects, disabled and deleted users, passwords, API keys with and without expiry, sessions —
    /// and ordinary writes after them, so the change log holds bulk (derived `after`) and single revisions.
    static func filledSource() async throws -> SQLiteSource {
        let source = try SQLiteSource()
        var dataset = SeedDataset()
        (dataset.users, dataset.teams, dataset.membershipsPerTeam, dataset.projects, dataset.generations) = (40, 6, 5, 20, 200)
        _ = try source.store.seed(dataset)
        let demo = DemoDirectory.lines(generations: 120, hasher: hasher)
        _ = try source.store.importRecords(from: numbered(demo), hasher: hasher)

        let store = source.store
        try await source.user("hm-owner")
        try await source.user("hm-off", status: .disabled)
        try await source.user("hm-root", admin: true)
        try await source.user("hm-gone")
        _ = try await store.createUser(NewUser(id: "hm-pw", email: "hm-pw@example.com", displayName: "Pw"), passwordHash: hasher.hash("secret"))
        try await source.team("hm-team", owner: "hm-owner")
        let hour: Int64 = 3_600_000
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try await source.member("hm-pw", of: "hm-team", as: .editor, permissions: [.delete], startsAt: now - hour, expiresAt: now + 100 * hour)
        try await source.member("hm-off", of: "hm-team", as: .admin, startsAt: now + 100 * hour)
        try await source.member("hm-gone", of: "hm-team", as: .viewer, expiresAt: now - hour)
        try await source.member("u1", of: "hm-team", as: .viewer, active: false)
        try await source.project("hm-public", owner: "hm-owner", visibility: .public)
        try await source.project("hm-team-project", owner: "hm-owner", team: "hm-team", visibility: .team)
        try await source.project("hm-dropped", owner: "hm-pw", team: "hm-team")
        try await source.generation("hm-g1", owner: "hm-pw", project: "hm-team-project")
        try await source.generation("hm-g2", owner: "hm-owner", project: "hm-public")
        try await source.generation("hm-deleted", owner: "hm-pw", project: "hm-team-project")
        _ = try await store.deleteGeneration("hm-deleted")
        _ = try await store.deleteProject("hm-dropped")
        _ = try await store.deleteUser("hm-gone")
        _ = try await store.updateUser("hm-owner", UserPatch(displayName: "Owner, renamed"), passwordHash: nil)
        _ = try await store.updateProject("hm-public", ProjectPatch(name: "Public, renamed"))
        _ = try await store.createAPIKey(name: "ci", scopes: [.authz], secret: APIKeySecret(key: "pcs_migrate-ci"), source: .api,
                                         expiresAt: now + 1000 * hour)
        _ = try await store.createAPIKey(name: "ops", scopes: [.admin], secret: APIKeySecret(key: "pcs_migrate-ops"), source: .api,
                                         expiresAt: nil)
        try await store.recordAPIKeyUse(id: try await store.apiKeys()[0].id, at: WallClock.system.timestamp())
        try await store.createToken(userId: "hm-pw", hash: Array(repeating: 7, count: 32), expiresAt: now / 1000 + 3600)
        // Last, a write that moves a key: the copied revision's commit then names it.
        _ = try await store.updateUser("hm-off", UserPatch(displayName: "Off"), passwordHash: nil)
        return source
    }

    /// NDJSON lines as an import reads them, numbered from 1.
    static func numbered(_ lines: [String]) -> [(line: Int, text: Substring?)] {
        lines.enumerated().map { (line: $0.offset + 1, text: Substring($0.element)) }
    }

    /// Every page of the change log.
    static func changeLog(_ store: some ChangeStore) async throws -> [Change] {
        var position = ChangePosition(revision: 0)
        var changes: [Change] = []
        while true {
            let page = try await store.changes(ChangeQuery(after: position, limit: 1000))
            if page.items.isEmpty { return changes }
            changes += page.items
            position = page.end(after: position)
        }
    }

    @Test("the copy answers every check like the SQLite appliance, at its revision, with its versions and change log")
    func copyAnswersAlike() async throws {
        let source = try await Self.filledSource()
        let target = try PostgresStore(try PostgresTestDatabase.freshConfiguration())
        let summary = try source.copy(into: target)

        let revision = try source.store.revision()
        #expect(summary.revision == revision)
        #expect(try target.revision() == revision)
        let counts = Dictionary(uniqueKeysWithValues: summary.rows.map { ($0.table, $0.count) })
        #expect(counts["users"] == 40 + 21 + 5)
        #expect(counts["api_keys"] == 2)
        #expect(counts["user_tokens"] == 1)
        #expect(counts["commit_log"] == 1)

        let sqliteVersions = try source.store.persistedVersions()
        let postgresVersions = try target.persistedVersions()
        #expect(postgresVersions.revision == sqliteVersions.revision)
        #expect(Dictionary(uniqueKeysWithValues: postgresVersions.versions.map { ($0.key.rawValue, $0.version) })
            == Dictionary(uniqueKeysWithValues: sqliteVersions.versions.map { ($0.key.rawValue, $0.version) }))
        let sqliteLog = try await Self.changeLog(source.store)
        #expect(sqliteLog.count > 500)
        let postgresLog = try await Self.changeLog(target)
        #expect(postgresLog.count == sqliteLog.count)
        if let index = postgresLog.indices.first(where: { $0 < sqliteLog.count && postgresLog[$0] != sqliteLog[$0] }) {
            Issue.record("change \(index) differs: PostgreSQL \(postgresLog[index]), SQLite \(sqliteLog[index])")
        }
        #expect(try await target.changeHorizon() == (try await source.store.changeHorizon()))

        // Credentials as they were: keys by hash (scopes, source, last use), sessions, password hashes.
        for key in ["pcs_migrate-ci", "pcs_migrate-ops", "pcs_unknown"] {
            let hash = APIKeySecret(key: key).hash
            #expect(String(describing: try target.apiKey(hash: hash)) == String(describing: try source.store.apiKey(hash: hash)))
        }
        #expect(try await target.apiKeys().map { String(describing: $0) } == (try await source.store.apiKeys()).map { String(describing: $0) })
        let session = Array(repeating: UInt8(7), count: 32), at = Int64(Date().timeIntervalSince1970)
        #expect(try target.tokenUser(hash: session, now: at) != nil)
        #expect(String(describing: try target.tokenUser(hash: session, now: at))
            == String(describing: try source.store.tokenUser(hash: session, now: at)))
        for email in ["hm-pw@example.com", DemoDirectory.adminEmail, "u3@seed.portcullis"] {
            #expect(String(describing: try target.userCredentials(email: email))
                == String(describing: try source.store.userCredentials(email: email)))
        }

        // Every user (deleted ones and an unknown id included) × a sample of every kind of resource × every action.
        let users = try source.ids("users") + ["nobody"]
        let sample: [ResourceType: [String]] = [
            .generation: try Self.sample(source.ids("generations"), keeping: ["hm-g1", "hm-g2", "hm-deleted"]) + ["none"],
            .project: try Self.sample(source.ids("projects"), keeping: ["hm-public", "hm-team-project", "hm-dropped"]) + ["none"],
            .team: try source.ids("teams") + ["none"],
        ]
        let sqliteEngine = AuthorizationEngine(store: source.store)
        let postgresEngine = AuthorizationEngine(store: target)
        var compared = 0, allowed = 0
        for user in users {
            for (type, ids) in sample {
                for id in ids {
                    for action in type.actions {
                        let request = CheckRequest(userId: user, action: action, resourceType: type, resourceId: id)
                        let expected = try sqliteEngine.check(request)
                        let actual = try postgresEngine.check(request)
                        #expect(actual == expected, "\(user) \(action.rawValue) \(type) \(id)")
                        compared += 1
                        if expected.allowed { allowed += 1 }
                    }
                }
            }
        }
        #expect(compared > 5_000)
        #expect(allowed > compared / 50, "the sample allows some checks, not only denials")
    }

    /// Every `step`-th id, plus the `keeping` ones.
    static func sample(_ ids: [String], keeping: [String], step: Int = 7) -> [String] {
        ids.enumerated().filter { $0.offset % step == 0 }.map(\.element) + keeping
    }

    @Test("a target that holds anything is refused, named, and left as it was", arguments: ["a user", "an API key"])
    func nonEmptyTargetRefused(_ holding: String) async throws {
        let source = try SQLiteSource()
        try await source.user("ada")
        let target = try PostgresStore(try PostgresTestDatabase.freshConfiguration())
        if holding == "a user" {
            _ = try await target.createUser(NewUser(id: "bob", email: "bob@example.com"), passwordHash: nil)
        } else {
            _ = try await target.createAPIKey(name: "k", scopes: [.admin], secret: APIKeySecret(key: "pcs_held"), source: .api)
        }
        let before = try target.persistedVersions()
        let log = try await Self.changeLog(target)
        #expect {
            _ = try source.copy(into: target)
        } throws: { error in
            guard let error = error as? PortcullisError, error.code == .conflict else { return false }
            let named = holding == "a user" ? "1 users rows" : "1 api_keys rows"
            return error.message.contains("not empty") && error.message.contains(named) && error.message.contains("revision 1")
        }
        #expect(try target.revision() == before.revision)
        #expect(try target.persistedVersions().versions.count == before.versions.count)
        #expect(try await Self.changeLog(target) == log)
        await #expect(throws: PortcullisError.self, "nothing of the source was copied") { try await target.user("ada") }
    }

    /// A source that fails once the copy reaches `table` (after every table before it was inserted).
    struct FailingSource<Base: TableRowSource>: TableRowSource {
        var base: Base
        var table: String

        func tableNames() throws -> [String] { try base.tableNames() }

        func forEachBatch(of table: String, columns: [String], orderedBy: [String], batchSize: Int,
                          _ body: ([[TableValue]]) throws -> Void) throws {
            if table == self.table { throw PortcullisError(.storeError, "the disk went away") }
            try base.forEachBatch(of: table, columns: columns, orderedBy: orderedBy, batchSize: batchSize, body)
        }
    }

    @Test("a failure part-way leaves the target empty, and a second try copies everything", arguments: ["changes", "time_bound_sweep"])
    func failurePartWayLeavesNothing(_ failingTable: String) async throws {
        let source = try await Self.filledSource()
        let target = try PostgresStore(try PostgresTestDatabase.freshConfiguration())
        #expect(throws: PortcullisError.self) {
            try SQLiteTableSnapshot.read(path: source.path) { snapshot in
                try SQLiteToPostgresCopy.run(from: FailingSource(base: snapshot, table: failingTable), into: target)
            }
        }
        #expect(try target.revision() == 0)
        #expect(try target.persistedVersions().versions.isEmpty)
        #expect(try await target.users(PageRequest(cursor: nil, limit: 10)).items.isEmpty)
        #expect(try await target.apiKeys().isEmpty)
        #expect(try await Self.changeLog(target).isEmpty)

        let summary = try source.copy(into: target)
        #expect(summary.revision == (try source.store.revision()))
    }

    @Test("after the copy a write takes the next revision, and a change feed started at the copied revision applies it")
    func feedGoesOnFromTheCopiedRevision() async throws {
        let source = try await Self.filledSource()
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let target = try PostgresStore(configuration)
        let copied = try source.copy(into: target).revision

        let versions = VersionClock()
        let persisted = try target.persistedVersions()
        #expect(persisted.revision == copied)
        versions.load(persisted)
        let feed = PostgresChangeFeed(configuration, after: persisted.revision, apply: versions.apply)
        let running = Task { await feed.run() }
        defer { running.cancel() }
        // A node that was at the revision before the copied one reads the copied commit's keys from the log.
        let behind = VersionClock()
        let lagging = PostgresChangeFeed(configuration, after: copied - 1, apply: behind.apply)
        let laggingRun = Task { await lagging.run() }
        defer { laggingRun.cancel() }
        #expect(await lagging.waitUntilApplied(copied, timeout: .seconds(30)))
        let copiedKeys = persisted.versions.filter { $0.version == copied }.map(\.key)
        #expect(!copiedKeys.isEmpty)
        let commitLog = try target.readers.withConnection { connection in
            try PostgresSnapshotPool.rows(connection, "SELECT revision, keys FROM commit_log", .of(), logger: target.logger)
                .map { try $0.decode((Int64, [String]).self) }
        }
        #expect(commitLog.count == 1)
        #expect(commitLog.first?.0 == copied)
        #expect(Set(commitLog.first?.1 ?? []) == Set(copiedKeys.map(\.rawValue)), "the copied commit's keys, for a feed one revision behind")
        #expect(behind.stamp(copiedKeys) == copiedKeys.map { _ in copied })

        let written = try await target.updateUser("hm-pw", UserPatch(displayName: "After the move"), passwordHash: nil)
        #expect(written.revision == copied + 1)
        #expect(await feed.waitUntilApplied(written.revision, timeout: .seconds(30)))
        #expect(versions.stamp([.user("hm-pw")]) == [written.revision])
        let log = try await Self.changeLog(target)
        #expect(log.last?.revision == written.revision)
    }

    @Test("an NDJSON import into PostgreSQL (import --postgres-url) stores the lines in one revision after the copied one")
    func importAfterCopy() async throws {
        let source = try await Self.filledSource()
        let target = try PostgresStore(try PostgresTestDatabase.freshConfiguration())
        let copied = try source.copy(into: target).revision
        let lines = [
            #"{"type":"user","id":"imp-1","email":"imp-1@example.com"}"#,
            #"{"type":"team","id":"imp-team","name":"Imported","owner_id":"imp-1"}"#,
            #"{"type":"project","id":"imp-p","name":"P","owner_id":"hm-owner","team_id":"imp-team","visibility":"team"}"#,
        ]
        let written = try WriteAttribution.$current.withValue(WriteAttribution(actor: .cli("import"))) {
            try target.importRecords(from: Self.numbered(lines), hasher: Self.hasher)
        }
        #expect(written.revision == copied + 1)
        #expect(written.value.users == 1 && written.value.teams == 1 && written.value.projects == 1)
        let decision = try AuthorizationEngine(store: target).check(CheckRequest(userId: "imp-1", action: .read, resourceType: .project,
                                                                                 resourceId: "imp-p"))
        #expect(decision.allowed)
        #expect(decision.revision == copied + 1)
    }
}
