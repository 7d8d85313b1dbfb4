import Foundation
import PostgresNIO
import Testing

@testable import PortcullisCore
@testable import PortcullisPostgres

/// No decision or listing statement scans a table on PostgreSQL, with the planner choosing freely: a directory of
/// realistic size (5,000 users, 500 teams, 5,000 projects of which 1% public, 50,000 generations, 20,000 changes,
/// 20,000 sign-in tokens, 2,000 API keys) is
/// loaded and `ANALYZE`d, then every statement is `EXPLAIN`ed with real parameter values. Planner settings are left
/// as they are (no `enable_seqscan = off`). Only `revision` (one row) and `role_grants` (30 seeded rows) may be read
/// whole.
@Suite("PostgreSQL query plans", .enabled(if: PostgresTestDatabase.isAvailable, PostgresTestDatabase.skipMessage))
struct PostgresQueryPlanTests {
    /// Tables that grow with the data: a sequential scan of one is a failure.
    static let growingTables = ["users", "teams", "team_members", "projects", "generations", "changes", "change_revisions", "versions",
                                "api_keys", "user_tokens", "commit_log"]

    static let load = [
        """
        INSERT INTO users (id, email, display_name, is_admin, status, created_at)
        SELECT 'u' || lpad(i::text, 5, '0'), 'u' || i || '@example.com', 'User ' || i, i % 1000 = 0, 'active', '2026-01-01T00:00:00Z'
        FROM generate_series(1, 5000) i
        """,
        """
        INSERT INTO teams (id, name, owner_id, created_at)
        SELECT 't' || lpad(i::text, 4, '0'), 'Team ' || i, 'u' || lpad(i::text, 5, '0'), '2026-01-01T00:00:00Z' FROM generate_series(1, 500) i
        """,
        """
        INSERT INTO team_members (team_id, user_id, role, permissions, is_active, created_at)
        SELECT 't' || lpad((i % 500 + 1)::text, 4, '0'), 'u' || lpad(i::text, 5, '0'), (ARRAY['owner', 'admin', 'editor', 'viewer'])[i % 4 + 1],
               CASE WHEN i % 7 = 0 THEN 'delete' ELSE '' END, i % 20 <> 0, '2026-01-01T00:00:00Z'
        FROM generate_series(1, 5000) i
        """,
        """
        INSERT INTO projects (id, name, owner_id, team_id, visibility, created_at)
        SELECT 'p' || lpad(i::text, 5, '0'), 'Project ' || i, 'u' || lpad(i::text, 5, '0'),
               CASE WHEN i % 2 = 0 THEN 't' || lpad((i % 500 + 1)::text, 4, '0') END,
               CASE WHEN i % 100 = 0 THEN 'public' WHEN i % 2 = 0 THEN 'team' ELSE 'private' END, '2026-01-01T00:00:00Z'
        FROM generate_series(1, 5000) i
        """,
        """
        INSERT INTO generations (id, owner_id, project_id, status, created_at)
        SELECT 'g' || lpad(i::text, 6, '0'), 'u' || lpad((i % 5000 + 1)::text, 5, '0'), 'p' || lpad((i % 5000 + 1)::text, 5, '0'), 'completed',
               '2026-01-01T00:00:00Z'
        FROM generate_series(1, 50000) i
        """,
        """
        INSERT INTO change_revisions (revision, at, actor_kind) SELECT i, '2026-01-01T00:00:00Z', 'system' FROM generate_series(1, 20000) i
        """,
        """
        INSERT INTO changes (revision, seq, entity, entity_id, op, after)
        SELECT i, 0, 'generation', 'g' || lpad(i::text, 6, '0'), 'create', '{}' FROM generate_series(1, 20000) i
        """,
        """
        INSERT INTO user_tokens (token_hash, user_id, created_at, expires_at)
        SELECT sha256(i::text::bytea), 'u' || lpad((i % 5000 + 1)::text, 5, '0'), '2026-01-01T00:00:00Z', 1790000000 + i
        FROM generate_series(1, 20000) i
        """,
        """
        INSERT INTO api_keys (id, name, key_hash, created_at) SELECT 'key_' || i, 'key ' || i, sha256(('k' || i)::bytea), '2026-01-01T00:00:00Z'
        FROM generate_series(1, 2000) i
        """,
        "INSERT INTO commit_log (revision, keys) SELECT i, ARRAY['generation:g' || lpad(i::text, 6, '0')] FROM generate_series(1, 20000) i",
        "INSERT INTO versions (key, version) SELECT 'user:u' || lpad(i::text, 5, '0'), i * 4 FROM generate_series(1, 5000) i",
        "UPDATE revision SET value = 20000",
        "ANALYZE",
    ]

    /// Every statement of the read path with the parameters a real call binds.
    static func statements() -> [(name: String, sql: String, binds: PostgresBindings)] {
        let now = Int64(1_790_000_000_000)
        var statements: [(name: String, sql: String, binds: PostgresBindings)] = []
        let resource = ["generation": "g000042", "project": "p00042", "team": "t0042"]
        for (name, sql, parameters) in PostgresAuthorizationQueries.all {
            let kind = name.replacingOccurrences(of: "decide_", with: "")
            let binds: PostgresBindings = switch parameters {
            case 0: .of()
            case 1: .of("u00042")
            default: .of(resource[kind] ?? "g000042", "u00042", "read")
            }
            statements.append((name, sql, binds))
        }
        let listings: [String: PostgresBindings] = [
            "allGenerations": .of("g000100", 101),
            "ownedGenerations": .of("u00042", "", 101),
            "projectGenerations": .of("p00042", "u00042", "", 101),
            "accessibleProjects": .of("u00042", "read", true, "generation", "", 100, nil as String?, now),
            "allProjects": .of("", 101),
            "allTeams": .of("", 101),
            "memberTeams": .of("u00042", "read", "", 101, now),
            "activeUsers": .of("", 101),
            "grantedUsers": .of("u00042", "u00043", "t0042", "generation", "read", true, "", 101, now),
        ]
        for (name, sql, _) in PostgresListingQueries.all {
            statements.append((name, sql, listings[name] ?? .of()))
        }
        let hash = ByteBuffer(bytes: [UInt8](repeating: 7, count: 32))
        statements.append(("auth.token_user", PostgresStore.tokenUserSQL, .of(hash, Int64(1_790_000_000))))
        statements.append(("auth.api_key", "SELECT \(PostgresStore.apiKeyColumns) FROM api_keys WHERE key_hash = $1", .of(hash)))
        statements.append(("directory.memberships", PostgresStore.membershipsSQL, .of("u00042", now)))
        statements.append(("directory.user_by_email", PostgresStore.userByEmailSQL, .of("u42@example.com")))
        let prefixes: [(name: String, sql: String)] = [("search.users", PostgresDirectorySearchQueries.usersByPrefix),
                                                       ("search.teams", PostgresDirectorySearchQueries.teamsByPrefix)]
        for (name, sql) in prefixes {
            statements.append((name, sql, .of("u0004", "u0005", "team 4", "team 5", "", 101)))
        }
        statements.append(("search.memberships", PostgresDirectorySearchQueries.userMemberships, .of("u00042")))
        statements.append(("preview.count", PostgresDirectorySearchQueries.projectGenerationCount, .of("p00042")))
        statements.append(("preview.team_readable", PostgresDirectorySearchQueries.teamReadableGenerationCount,
                           .of("p00042", "t0043", now, "u00042")))
        for owner in [false, true] {
            for team in [false, true] {
                let filter = ProjectFilter(ownerId: owner ? "u00042" : nil, teamId: team ? "t0043" : nil)
                if let sql = PostgresDirectorySearchQueries.projects(filter) {
                    statements.append(("search.projects owner:\(owner) team:\(team)", sql, .of("u00042", "t0043", "", 101)))
                }
                for project in [false, true] {
                    let filter = GenerationFilter(ownerId: owner ? "u00042" : nil, projectId: project ? "p00042" : nil, teamId: team ? "t0043" : nil)
                    if let sql = PostgresDirectorySearchQueries.generations(filter) {
                        statements.append(("search.generations owner:\(owner) project:\(project) team:\(team)", sql,
                                           .of("u00042", "p00042", "t0043", "", 101)))
                    }
                }
            }
        }
        statements.append(("sweep.passed_bounds", PostgresStore.passedBoundsSQL, .of(now - 60_000, now)))
        for entity in [false, true] {
            for entityId in [false, true] {
                for onlyRevision in [false, true] {
                    statements.append(("changes entity:\(entity) entity_id:\(entityId) only_revision:\(onlyRevision)",
                                       PostgresStore.changesSQL(entity: entity, entityId: entityId, onlyRevision: onlyRevision),
                                       .of(Int64(15_000), Int64.max, onlyRevision ? Int64(15_001) : 0, "generation", "g015001", 101)))
                }
            }
        }
        // The change feed's catch-up (PostgresChangeFeed.catchUp) and reload (PostgresChangeFeed.reload), a few revisions
        // behind: the SQL as the feed writes it.
        statements.append(("feed.commit_log_catch_up", "SELECT revision, keys FROM commit_log WHERE revision > $1 ORDER BY revision",
                           .of(Int64(19_990))))
        statements.append(("feed.versions_reload", "SELECT key, version FROM versions WHERE version > $1", .of(Int64(19_990))))
        return statements
    }

    /// The lines of `plan` that read a growing table whole.
    static func sequentialScans(in plan: [String]) -> [String] {
        plan.filter { line in growingTables.contains { table in line.contains("Seq Scan on \(table) ") || line.hasSuffix("Seq Scan on \(table)") } }
    }

    @Test("every decision, listing, credential, search, sweep and change-log statement is planned without a sequential scan of a growing table")
    func noSequentialScans() throws {
        let store = try PostgresStore(try PostgresTestDatabase.freshConfiguration())
        let logger = store.logger
        try store.readers.withConnection { connection in
            for sql in Self.load { _ = try PostgresSnapshotPool.rows(connection, sql, .of(), logger: logger) }
            let statements = Self.statements()
            #expect(statements.count == PostgresAuthorizationQueries.all.count + PostgresListingQueries.all.count + 12 + 5 + 3 + 7 + 1 + 2)
            for statement in statements {
                let plan = try PostgresSnapshotPool.rows(connection, "EXPLAIN " + statement.sql, statement.binds, logger: logger)
                    .map { try $0.decode(String.self) }
                #expect(!plan.isEmpty, "\(statement.name) has a plan")
                let scans = Self.sequentialScans(in: plan)
                #expect(scans.isEmpty, "\(statement.name) scans a table:\n\(plan.joined(separator: "\n"))")
            }
        }
    }

    /// The decision statements run prepared (`PostgresDecisionStatement`): after five executions PostgreSQL may plan
    /// one for every parameter (a generic plan, `$1` in its conditions), and then stops planning it at all. That plan
    /// must be chosen and must still find every row through an index.
    @Test("the prepared decision statements settle on a generic plan without a sequential scan of a growing table")
    func preparedDecisionPlans() throws {
        let store = try PostgresStore(try PostgresTestDatabase.freshConfiguration())
        let logger = store.logger
        try store.readers.withConnection { connection in
            for sql in Self.load { _ = try PostgresSnapshotPool.rows(connection, sql, .of(), logger: logger) }
            let statements: [(name: String, sql: String, ids: [String])] = [
                (DecideGenerationStatement.name, DecideGenerationStatement.sql, ["g000042", "g000043", "g012345", "none"]),
                (DecideProjectStatement.name, DecideProjectStatement.sql, ["p00042", "p00043", "p01234", "none"]),
                (DecideTeamStatement.name, DecideTeamStatement.sql, ["t0042", "t0043", "t0123", "none"]),
            ]
            for statement in statements {
                _ = try PostgresSnapshotPool.rows(connection, "PREPARE \(statement.name)(text, text, text) AS \(statement.sql)", .of(), logger: logger)
                for index in 0..<6 {
                    let id = statement.ids[index % statement.ids.count]
                    _ = try PostgresSnapshotPool.rows(connection, "EXECUTE \(statement.name)('\(id)', 'u0004\(index)', 'read')", .of(), logger: logger)
                }
                let plan = try PostgresSnapshotPool.rows(connection, "EXPLAIN EXECUTE \(statement.name)('\(statement.ids[0])', 'u00044', 'read')",
                                                         .of(), logger: logger).map { try $0.decode(String.self) }
                let generic = plan.contains { line in line.contains("= $1") } && plan.contains { line in line.contains("= $2") }
                #expect(generic, "\(statement.name) keeps a generic plan:\n\(plan.joined(separator: "\n"))")
                let scans = Self.sequentialScans(in: plan)
                #expect(scans.isEmpty, "\(statement.name) scans a table:\n\(plan.joined(separator: "\n"))")
            }
        }
    }

    @Test("the check finds scans: a statement without a usable index is caught")
    func checkCanFail() throws {
        let store = try PostgresStore(try PostgresTestDatabase.freshConfiguration())
        let logger = store.logger
        let plan = try store.readers.withConnection { connection in
            for sql in Self.load.prefix(1) + ["ANALYZE users"] { _ = try PostgresSnapshotPool.rows(connection, sql, .of(), logger: logger) }
            return try PostgresSnapshotPool.rows(connection, "EXPLAIN SELECT id FROM users WHERE display_name = $1", .of("User 42"), logger: logger)
                .map { try $0.decode(String.self) }
        }
        #expect(plan.contains { $0.contains("Seq Scan on users") }, "\(plan)")
    }
}
