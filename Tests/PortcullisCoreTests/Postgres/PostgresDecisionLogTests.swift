import Foundation
import PostgresNIO
import Testing

@testable import PortcullisCore
@testable import PortcullisPostgres

/// SPEC 8.4's decision log in the shared database: what one node records, another reads, in the SQLite file's order
/// and pages; a read finds what its node answered; ids of nodes never collide; one node at a time sweeps; no
/// statement scans the table.
@Suite("PostgreSQL decision log", .enabled(if: PostgresTestDatabase.isAvailable, PostgresTestDatabase.skipMessage))
struct PostgresDecisionLogTests {
    /// One node of a deployment: its store and its decision log, on a schema it shares with the other nodes.
    struct Node {
        let store: PostgresStore
        let storage: PostgresDecisionLog
        let log: DecisionLog

        init(_ configuration: PostgresConfiguration, clock: ManualClock, _ configure: (inout DecisionLogConfiguration) -> Void = { _ in }) throws {
            store = try PostgresStore(configuration)
            storage = try PostgresDecisionLog(store: store)
            var settings = DecisionLogConfiguration()
            settings.mode = .all
            configure(&settings)
            log = DecisionLog(configuration: settings, postgres: storage, clock: clock.clock, revision: { 42 })
        }
    }

    /// The `index`th entry of the scenario: checks on three resource types by four users, allowed and denied, some
    /// what-if; every tenth a sign-in or sign-out, some without a user or caller.
    @discardableResult
    static func record(_ index: Int, on log: DecisionLog) -> DecisionID {
        let user = "u\(index % 4)"
        if index % 10 == 9 {
            let signIn = index % 20 == 9
            return log.record(AccountEvent(action: signIn ? .signIn : .signOut, userId: index % 40 == 9 ? nil : user, allowed: index % 3 == 0,
                                           reason: index % 3 == 0 ? "signed_in" : "invalid_credentials", clientAddress: "10.0.0.\(index % 7)"),
                              caller: signIn ? nil : DecisionCaller(kind: .user, id: user))
        }
        let types: [ResourceType] = [.generation, .project, .team]
        let allowed = index % 3 != 0
        var request = CheckRequest(userId: user, action: .read, resourceType: types[index % 3], resourceId: "r\(index % 5)")
        if index % 11 == 0 { request.asOf = 1_800_000_000_000 + Int64(index) }
        let path = allowed ? RulePath([.userActive, .generationExists, .adminSkip, .ownerAllow])
            : RulePath([.userActive, .generationExists, .adminSkip, .ownerSkip, .noGrant])
        let decision = Decision(allowed: allowed, reason: allowed ? .owner : .noGrant, revision: Int64(index), rulePath: path)
        return log.record(request, decision, caller: DecisionCaller(kind: .apiKey, id: "k\(index % 2)"))
    }

    /// Every page of `query`, following the cursors, with each page's cursor.
    static func pages(_ log: DecisionLog, _ query: DecisionQuery) throws -> [(items: [StoredDecision], next: String?)] {
        var query = query, pages: [(items: [StoredDecision], next: String?)] = []
        while true {
            let page = try log.page(query)
            pages.append((page.items, page.nextCursor))
            guard let next = page.nextCursor, pages.count < 10_000 else { return pages }
            query.cursor = Int64(next)
        }
    }

    /// Every filter of `GET /api/v1/audit/decisions`, alone and combined, with two sets of values, with and without a
    /// time range, in small and large pages.
    static func queries(start: Int64) -> [DecisionQuery] {
        var queries: [DecisionQuery] = []
        for bits in 0..<16 {
            for variant in 0..<2 {
                for range in 0..<3 {
                    for limit in [7, DecisionQuery.maxLimit] {
                        var query = DecisionQuery()
                        if bits & 1 != 0 { query.userId = ["u1", "u2"][variant] }
                        if bits & 2 != 0 { query.resourceId = ["r2", "u3"][variant] }
                        if bits & 4 != 0 { query.resourceType = ["project", "account"][variant] }
                        if bits & 8 != 0 { query.allowed = [false, true][variant] }
                        if range == 1 { (query.since, query.until) = (start + 10, start + 40) }
                        if range == 2 { query.until = start + 25 }
                        query.limit = limit
                        queries.append(query)
                    }
                }
            }
        }
        return queries
    }

    @Test("what node A records, node B reads by id and by every filter, in the SQLite file's order and pages")
    func sharedAndOrderedLikeSQLite() throws {
        try Self.compareWithSQLite(entries: 150, millisecondsPerThree: 1, flushEvery: 150)
    }

    /// Many batches, each listing a lookup in several 4-second slices: every filter's page reads more postings rows
    /// than one round trip brings (`postingsPerRead`), and still matches the SQLite file's pages.
    @Test("filtered pages over many batches and postings slices match the SQLite file's, page for page")
    func postingsAcrossBatchesLikeSQLite() throws {
        try Self.compareWithSQLite(entries: 900, millisecondsPerThree: 2_100, flushEvery: 13, minimumCompared: 5_000)
    }

    @Test("postings the migration builds for entries logged before it give the same pages as the writer's")
    func migrationBuildsPostings() throws {
        let node = try Node(try PostgresTestDatabase.freshConfiguration(), clock: ManualClock(milliseconds: 1_800_000_000_000))
        let clock = ManualClock(milliseconds: 1_800_000_000_000)
        let log = DecisionLog(configuration: node.log.configuration, postgres: node.storage, clock: clock.clock, revision: { 42 })
        for index in 0..<400 {
            Self.record(index, on: log)
            clock.advance(milliseconds: 700)
            if index % 13 == 12 { try log.flush() }
        }
        try log.flush()
        let queries = Self.queries(start: 1_800_000_000_000)
        let before = try queries.map { try Self.pages(log, $0).map(\.items) }
        let backfill = try Self.migrationBackfill()
        let logger = node.store.logger
        let counts = try node.store.readers.withConnection { connection in
            let written = try PostgresSnapshotPool.rows(connection, "DELETE FROM decision_postings RETURNING 1", .of(), logger: logger).count
            _ = try PostgresSnapshotPool.rows(connection, backfill, .of(), logger: logger)
            var built = PostgresColumns(try PostgresSnapshotPool.rows(connection, "SELECT count(*) FROM decision_postings", .of(), logger: logger)[0])
            return (written, try built.next(Int64.self))
        }
        #expect(counts.0 > 64 && counts.1 > 64, "postings written \(counts.0), built \(counts.1)")
        let after = try queries.map { try Self.pages(log, $0).map(\.items) }
        #expect(after == before)
        #expect(before.joined().joined().count > 2_000)
    }

    /// A batch of `count` denied checks by origin 9 from key `first` on, one per millisecond-step of ids.
    static func batch(from first: Int64, count: Int) -> [PostgresDecisionLog.Row] {
        (0..<Int64(count)).map { index in
            PostgresDecisionLog.Row(key: first + index, origin: 9, revision: 1, callerKind: "api_key", callerId: "k1", userId: "u\(index % 3)",
                                    action: "read", resourceType: "generation", resourceId: "g\(index)", allowed: false, reason: "no_grant",
                                    rules: "BEG", clientAddress: nil, asOf: nil)
        }
    }

    /// The batch statement's shape: the arrays unnested in the select list, not copied into a tuple store by a
    /// function scan, and no conflict probe. A batch repeating an id already logged (after the wall clock stepped back)
    /// is refused whole by that statement and then written without the repeated id, as the SQLite file's
    /// `INSERT OR IGNORE` writes it.
    @Test("a batch inserts without tuple stores or conflict probes; one repeating a logged id keeps the first and the rest")
    func batchStatement() throws {
        let node = try Node(try PostgresTestDatabase.freshConfiguration(), clock: ManualClock())
        let logger = node.store.logger
        let first = Int64(1_800_000_000_000) << 21
        let plan = try node.store.readers.withConnection { connection in
            try PostgresSnapshotPool.rows(connection, "EXPLAIN " + PostgresDecisionLog.insertSQL,
                                          PostgresDecisionLog.insertBindings(Self.batch(from: first, count: 3)), logger: logger)
                .map { try $0.decode(String.self) }
        }.joined(separator: "\n")
        #expect(plan.contains("ProjectSet"), "\(plan)")
        #expect(!plan.contains("Function Scan") && !plan.contains("Conflict"), "\(plan)")

        try node.storage.insert(Self.batch(from: first, count: 3))
        // Key first + 2 again, with other values (resource g0 where the logged one has g2), and two new keys.
        try node.storage.insert(Self.batch(from: first + 2, count: 3))
        #expect(try node.storage.entry(key: first + 2, origin: 9)?.resourceId == "g2", "the entry logged first is kept")
        #expect(try node.storage.entry(key: first + 3, origin: 9)?.resourceId == "g1")
        #expect(try node.storage.entry(key: first + 4, origin: 9)?.resourceId == "g2")
        // The second batch's postings list first + 2 under g0; the page checks the entry read and leaves it out.
        let g0 = PostgresDecisionLog.Filter(low: 0, high: .max, userId: nil, resourceId: "g0", resourceType: nil, allowed: nil, limit: 10)
        #expect(try node.storage.page(g0).map(\.key) == [first])
        let g2 = PostgresDecisionLog.Filter(low: 0, high: .max, userId: nil, resourceId: "g2", resourceType: nil, allowed: nil, limit: 10)
        #expect(try node.storage.page(g2).map(\.key) == [first + 4, first + 2])
        let storage = try node.store.readers.withConnection { connection in
            try PostgresSnapshotPool.rows(connection, """
                SELECT attstorage::text FROM pg_attribute WHERE attrelid = 'decision_postings'::regclass AND attname = 'keys'
                """, .of(), logger: logger).map { try $0.decode(String.self) }
        }
        #expect(storage == ["e"], "postings keys are stored uncompressed (0007_decision_postings_uncompressed.sql)")
    }

    static func compareWithSQLite(entries: Int, millisecondsPerThree: Int64, flushEvery: Int, minimumCompared: Int = 2_000) throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let clock = ManualClock(milliseconds: 1_800_000_000_000)
        let (a, b) = (try Node(configuration, clock: clock), try Node(configuration, clock: clock))
        #expect(a.storage.origin != b.storage.origin)
        // The SQLite log hands out A's ids: the same clock, origin and counter make the same ids on both.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-pglog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlite = DecisionLog(configuration: a.log.configuration, storage: try DecisionLogFile(path: folder.appendingPathComponent("d.sqlite").path),
                                 ids: DecisionIDSource(clock: clock.clock, origin: a.storage.origin), clock: clock.clock, revision: { 42 })
        let start = clock.milliseconds
        var ids: [DecisionID] = []
        for index in 0..<entries {
            let id = Self.record(index, on: a.log)
            #expect(Self.record(index, on: sqlite) == id)
            ids.append(id)
            if index % 3 == 2 { clock.advance(milliseconds: millisecondsPerThree) }
            if index % flushEvery == flushEvery - 1 {
                try a.log.flush()
                try sqlite.flush()
            }
        }
        try a.log.flush()
        for id in ids {
            let (read, expected) = (try b.log.entry(id: id.text), try sqlite.entry(id: id.text))
            #expect(read != nil && read == expected, "\(id.text)")
        }
        #expect(try b.log.entry(id: DecisionID(key: ids[0].key, origin: b.storage.origin).text) == nil, "another origin's id is another id")
        var compared = 0
        for query in Self.queries(start: start) {
            let (onB, onSQLite) = (try Self.pages(b.log, query), try Self.pages(sqlite, query))
            #expect(onB.map(\.items) == onSQLite.map(\.items) && onB.map(\.next) == onSQLite.map(\.next), "\(query)")
            compared += onSQLite.reduce(0) { $0 + $1.items.count }
        }
        #expect(compared > minimumCompared, "the queries find entries: \(compared)")
    }

    @Test("a read on a node finds every answer it gave before, even while its writer is committing a batch")
    func readYourAnswers() async throws {
        let node = try Node(try PostgresTestDatabase.freshConfiguration(), clock: ManualClock(milliseconds: 1_800_000_000_000))
        let log = node.log
        for round in 0..<100 {
            for index in 0..<50 { Self.record(round * 100 + index, on: log) }
            let id = Self.record(round * 100 + 50, on: log).text
            async let writer: Int = Task.detached { try log.flush() }.value
            let found = try await Task.detached { try log.entry(id: id) }.value
            _ = try await writer
            #expect(found != nil, "round \(round): the answer \(id) was not found")
            if found == nil { break }
        }
    }

    @Test("thousands of ids recorded at once on two nodes in one millisecond never collide, and pages never split a tie")
    func idsNeverCollide() async throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        // A stopped clock: both nodes count from 1 in the same millisecond, so every key is made on both.
        let clock = ManualClock(milliseconds: 1_800_000_000_000)
        let nodes = [try Node(configuration, clock: clock), try Node(configuration, clock: clock)]
        let perTask = 500, tasks = 4
        let recorded = try await withThrowingTaskGroup(of: [DecisionID].self) { group in
            for node in nodes {
                for task in 0..<tasks {
                    group.addTask { (0..<perTask).map { Self.record(task * perTask + $0, on: node.log) } }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        for node in nodes { try node.log.flush() }
        #expect(Set(recorded).count == nodes.count * tasks * perTask)
        #expect(Set(recorded.map(\.key)).count == tasks * perTask, "every key was made on both nodes")
        var query = DecisionQuery()
        query.limit = 7
        let pages = try Self.pages(nodes[1].log, query)
        let read = pages.flatMap(\.items).map { DecisionID(text: $0.decisionId)! }
        #expect(read.count == recorded.count && Set(read) == Set(recorded), "\(read.count) of \(recorded.count) read back")
        #expect(read == read.sorted { ($0.key, $0.origin) > ($1.key, $1.origin) }, "newest first, then by origin")
        #expect(pages.dropLast().allSatisfy { $0.items.count >= 7 })
    }

    @Test("retention deletes only entries past retention_days, on one node at a time")
    func retentionOneNodeAtATime() throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let clock = ManualClock(milliseconds: 1_800_000_000_000)
        let (a, b) = (try Node(configuration, clock: clock) { $0.retentionDays = 90 }, try Node(configuration, clock: clock) { $0.retentionDays = 90 })
        let old = (0..<5).map { Self.record($0, on: a.log).text }
        clock.advance(seconds: 89 * 86_400)
        let recent = (5..<8).map { Self.record($0, on: b.log).text }
        try a.log.flush()
        try b.log.flush()
        #expect(try b.log.sweep() == 0)
        clock.advance(seconds: 2 * 86_400)
        // Node A is sweeping: it holds the retention lock in an open transaction. B's sweep skips, deleting nothing.
        let logger = a.store.logger
        try a.store.readers.withConnection { connection in
            _ = try PostgresSnapshotPool.rows(connection, "BEGIN", .of(), logger: logger)
            _ = try PostgresSnapshotPool.rows(connection, "SELECT pg_advisory_xact_lock($1::int4, hashtext(current_schema()))", .of(PostgresDecisionLog.retentionLockKey), logger: logger)
            #expect(try b.storage.deleteEntries(before: .max) == nil, "B skips while A holds the lock")
            #expect(try b.log.sweep() == 0)
            _ = try PostgresSnapshotPool.rows(connection, "COMMIT", .of(), logger: logger)
        }
        #expect(try old.allSatisfy { try a.log.entry(id: $0) != nil }, "nothing went while A held the lock")
        #expect(try b.log.sweep() == 5)
        #expect(try a.log.sweep() == 0)
        var query = DecisionQuery()
        query.limit = DecisionQuery.maxLimit
        let kept = try a.log.page(query).items.map(\.decisionId)
        #expect(Set(kept) == Set(recent))
    }

    // MARK: Query plans

    /// 200,000 entries over 5,000 users and 50,000 resources, four types, a tenth allowed, a millisecond apart, and
    /// their postings as the migration builds them for entries logged before it.
    static func load() throws -> [String] {
        [
            """
            INSERT INTO decisions (seq, origin, revision, caller_kind, caller_id, user_id, action, resource_type, resource_id, allowed, reason, rules)
            SELECT (1800000000000 + i) << 21, i % 3, 1, 'api_key', 'k1', 'u' || (i % 5000), 'read',
                   (ARRAY['generation', 'project', 'team', 'account'])[i % 4 + 1], 'r' || (i % 50000), i % 10 = 0, 'no_grant', ''
            FROM generate_series(1, 200000) i
            """,
            try migrationBackfill(), "ANALYZE decisions", "ANALYZE decision_postings",
        ]
    }

    /// The statement of `0006_decision_postings.sql` that builds the postings of the entries already in the table.
    static func migrationBackfill() throws -> String {
        let migration = try #require(PostgresMigrations.all.first { $0.name.hasPrefix("0006_") })
        return try #require(migration.sql.components(separatedBy: ";").first { $0.contains("INSERT INTO decision_postings") })
    }

    /// Every statement the log runs on PostgreSQL, with real values: each filter shape's page and tie, an entry, the
    /// retention delete.
    static func statements() -> [(name: String, sql: String, binds: PostgresBindings)] {
        let key = Int64(1_800_000_100_000) << 21
        var statements: [(name: String, sql: String, binds: PostgresBindings)] = []
        // An unfiltered page is one statement on the primary key (and its tie completion).
        for shape in DecisionQuery.allShapes where shape.userId == nil && shape.resourceId == nil && shape.resourceType == nil && shape.allowed == nil {
            for range in [(low: Int64(0), high: Int64.max), (low: key, high: key + (10_000 << 21))] {
                var filter = PostgresDecisionLog.Filter(low: range.low, high: range.high, userId: shape.userId.map { _ in "u42" },
                                                        resourceId: shape.resourceId.map { _ in "r4242" }, resourceType: shape.resourceType,
                                                        allowed: shape.allowed.map { _ in true }, limit: 101)
                let page = PostgresDecisionLog.pageStatement(filter)
                statements.append(("page \(filter)", page.sql, page.binds))
                filter.limit = 1000
                let tie = PostgresDecisionLog.tieStatement(filter, key: key, origin: 2)
                statements.append(("tie \(filter)", tie.sql, tie.binds))
            }
        }
        // A filtered page: its lead filter's postings rows, then the entries they list, checked against every filter.
        for (kind, id) in [(DecisionLookup.user, "u42"), (.resource, "r4242"), (.type, "team"), (.outcome, "allowed")] {
            statements.append(("postings \(kind)", PostgresDecisionLog.postingsSQL,
                               .of(Int64(kind.rawValue), id, Int64(0), Int64.max, Int64.max, Int64.max, Int64(64))))
            // The entries' statement checks the lead filter and every other one set: here the lead alone, or all four.
            let filter = PostgresDecisionLog.Filter(low: 0, high: .max, userId: kind == .user || kind == .outcome ? "u42" : nil,
                                                    resourceId: kind == .resource || kind == .outcome ? "r4242" : nil,
                                                    resourceType: kind == .type || kind == .outcome ? "team" : nil,
                                                    allowed: kind == .outcome ? true : nil, limit: 101)
            let listed = PostgresDecisionLog.listedStatement(filter, keys: (0..<100).map { key + Int64($0) << 21 }, origins: Array(repeating: 1, count: 100))
            statements.append(("listed \(kind)", listed.sql, listed.binds))
        }
        statements.append(("entry", PostgresDecisionLog.entrySQL, .of(key, Int64(1))))
        statements.append(("retention", PostgresDecisionLog.deleteSQL, .of(Int64(1_800_000_001_000) << 21)))
        statements.append(("postings retention", PostgresDecisionLog.deletePostingsSQL, .of(Int64(1_800_000_001_000) << 21)))
        return statements
    }

    @Test("no statement of the log scans the decisions table, at 200,000 entries, ANALYZEd")
    func noSequentialScans() throws {
        let node = try Node(try PostgresTestDatabase.freshConfiguration(), clock: ManualClock())
        let logger = node.store.logger
        try node.store.readers.withConnection { connection in
            for sql in try Self.load() { _ = try PostgresSnapshotPool.rows(connection, sql, .of(), logger: logger) }
            let statements = Self.statements()
            #expect(statements.count == 2 * 2 + 4 * 2 + 3)
            for statement in statements {
                let plan = try PostgresSnapshotPool.rows(connection, "EXPLAIN " + statement.sql, statement.binds, logger: logger)
                    .map { try $0.decode(String.self) }
                #expect(!plan.isEmpty, "\(statement.name) has a plan")
                #expect(!plan.contains { $0.contains("Seq Scan on decision") }, "\(statement.name) scans:\n\(plan.joined(separator: "\n"))")
            }
        }
    }
}
