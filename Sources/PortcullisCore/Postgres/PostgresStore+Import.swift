import Logging
import PortcullisModel
import PortcullisStore
import PostgresNIO

/// The NDJSON import on PostgreSQL: every line in one transaction, or nothing (`ImportStore`).
///
/// The protocol is synchronous (it streams a file through one transaction, run off the request executor by its
/// callers), so the import runs on a `PostgresSnapshotPool` connection, each statement waiting for its future (refused
/// on an event-loop thread), and holds the write gate (`PostgresWriteGate.runBlocking`) so its commit is announced in
/// revision order with the asynchronous writes.
///
/// Each line is one statement, one round trip: it checks the line's references and new ids, and inserts only when
/// they hold (data-modifying `WITH`), returning what it found, so a bad line changes nothing and the import goes on to
/// find the other bad lines, as on SQLite. (A statement per check, each line under a savepoint, took six round trips
/// a line: 10,000 lines took about a minute in a debug build.) A line that PostgreSQL itself refuses — a write another
/// node made meanwhile — leaves the transaction unusable: it is reported and the lines after it are not checked.
extension PostgresStore: ImportStore {
    /// Runs the whole import in one transaction on the calling thread (it blocks); a success advances the revision
    /// once and moves the `epoch`, so every cached answer is recomputed. Rows without `created_at` get the instant the
    /// import started.
    @discardableResult
    public func importRecords(from lines: some Sequence<(line: Int, text: Substring?)>, hasher: PasswordHasher) throws
        -> Written<ImportCounts>
    {
        let attribution = WriteAttribution.current
        let logger = logger
        let onCommit = onCommit
        do {
            return try gate.runBlocking {
                try readers.withConnection { connection in
                    let run = BlockingStatements(connection: connection, logger: logger)
                    _ = try run.rows("BEGIN")
                    do {
                        guard let revisionRow = try run.rows("UPDATE revision SET value = value + 1 WHERE id = 1 RETURNING value").first else {
                            throw PortcullisError(.storeError, "the revision row is missing")
                        }
                        let revision = try revisionRow.decode(Int64.self)
                        let now = WallClock.system.timestamp()
                        let recorded = ImportedChanges()
                        var changes = ChangeRecorder(revision: revision, at: now, attribution: attribution) { recorded.items.append($0) }
                        let counts = try ImportRecord.run(lines, hasher: hasher, mapError: Self.mapped) { record in
                            guard !run.refused else { return }
                            try Self.insert(record, run, now: now, changes: &changes)
                        }
                        try Self.insertChanges(run, recorded.items, attribution: attribution, at: now)
                        _ = try run.rows("""
                            INSERT INTO versions (key, version) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET version = excluded.version
                            """, .of(DependencyKey.epoch.rawValue, revision))
                        try Self.publishBlocking(connection, revision: revision, keys: [.epoch], channel: channel, logger: logger)
                        _ = try run.rows("COMMIT")
                        onCommit(Commit(revision: revision, changed: [.epoch], changes: changes.tally))
                        return Written(counts, revision: revision)
                    } catch {
                        _ = try? run.rows("ROLLBACK")
                        throw error
                    }
                }
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// One record's rows, with the same checks, in the same order, and the same changes as the management writes: one
    /// statement, which inserts only when every check holds. Nothing is recorded for a line that fails a check.
    private static func insert(_ record: ImportRecord, _ run: BlockingStatements, now: String, changes: inout ChangeRecorder) throws {
        switch record {
        case .user(let input, let passwordHash):
            let id = input.id ?? Identifier.generate(prefix: "usr")
            let user = User(id: id, email: input.email, displayName: input.displayName, isAdmin: input.isAdmin, status: input.status,
                            createdAt: input.createdAt ?? now, deletedAt: input.deletedAt)
            var found = try run.checked("""
                WITH found AS (SELECT EXISTS (SELECT 1 FROM users WHERE id = $1) AS taken,
                                      $8::text IS NULL AND EXISTS (SELECT 1 FROM users WHERE email = $2 AND deleted_at IS NULL AND id <> $1)
                                          AS email_taken),
                     inserted AS (INSERT INTO users (id, email, display_name, password_hash, is_admin, status, created_at, deleted_at)
                                  SELECT $1, $2, $3, $4, $5, $6, $7, $8 FROM found WHERE NOT taken AND NOT email_taken)
                SELECT taken, email_taken FROM found
                """, .of(user.id, user.email, user.displayName, passwordHash, user.isAdmin, user.status.rawValue, user.createdAt, user.deletedAt))
            try found.requireNew(.users, id)
            guard try !found.flag() else { throw PortcullisError(.conflict, "email '\(user.email)' is already in use") }
            try changes.created(user)
        case .team(let input):
            let id = input.id ?? Identifier.generate(prefix: "team")
            let team = Team(id: id, name: input.name, ownerId: input.ownerId, createdAt: input.createdAt ?? now, deletedAt: input.deletedAt)
            // The team is new (its id was never used), so its owner's membership is too.
            let owner = TeamMember(MembershipInput(role: .owner, createdAt: team.createdAt), teamId: id, userId: input.ownerId,
                                   createdAt: team.createdAt)
            var found = try run.checked("""
                WITH found AS (SELECT EXISTS (SELECT 1 FROM users WHERE id = $3 AND deleted_at IS NULL) AS owner,
                                      EXISTS (SELECT 1 FROM teams WHERE id = $1) AS taken),
                     team AS (INSERT INTO teams (id, name, owner_id, created_at, deleted_at)
                              SELECT $1, $2, $3, $4, $5 FROM found WHERE owner AND NOT taken),
                     member AS (INSERT INTO team_members (team_id, user_id, role, permissions, is_active, created_at)
                                SELECT $1, $3, $6, $7, $8, $4 FROM found WHERE owner AND NOT taken)
                SELECT owner, taken FROM found
                """, .of(team.id, team.name, team.ownerId, team.createdAt, team.deletedAt, owner.role.rawValue,
                         owner.permissions.map(\.rawValue).joined(separator: " "), owner.isActive))
            try found.requireReference("owner_id", input.ownerId)
            try found.requireNew(.teams, id)
            try changes.created(team)
            try changes.put(nil, owner)
        case .member(let teamId, let userId, let input):
            var found = try run.checked("""
                WITH found AS (SELECT EXISTS (SELECT 1 FROM teams WHERE id = $1 AND deleted_at IS NULL) AS team,
                                      EXISTS (SELECT 1 FROM users WHERE id = $2 AND deleted_at IS NULL) AS member),
                     existing AS (SELECT \(memberColumns) FROM team_members WHERE team_id = $1 AND user_id = $2),
                     upserted AS (INSERT INTO team_members (team_id, user_id, role, permissions, is_active, created_at, starts_at, expires_at)
                                  SELECT $1, $2, $3, $4, $5, $6, $7, $8 FROM found WHERE team AND member
                                  ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role, permissions = excluded.permissions,
                                      is_active = excluded.is_active, starts_at = excluded.starts_at, expires_at = excluded.expires_at)
                SELECT found.team, found.member, existing.* FROM found LEFT JOIN existing ON TRUE
                """, .of(teamId, userId, input.role.rawValue, input.permissions.map(\.rawValue).joined(separator: " "), input.isActive,
                         input.createdAt ?? now, input.startsAt, input.expiresAt))
            try found.requireReference("team_id", teamId)
            try found.requireReference("user_id", userId)
            let existing = try found.member()
            try changes.put(existing, TeamMember(input, teamId: teamId, userId: userId, createdAt: existing?.createdAt ?? input.createdAt ?? now))
        case .project(let input):
            let id = input.id ?? Identifier.generate(prefix: "prj")
            let project = Project(id: id, name: input.name, ownerId: input.ownerId, teamId: input.teamId, visibility: input.visibility,
                                  createdAt: input.createdAt ?? now, deletedAt: input.deletedAt)
            var found = try run.checked("""
                WITH found AS (SELECT EXISTS (SELECT 1 FROM users WHERE id = $3 AND deleted_at IS NULL) AS owner,
                                      $4::text IS NULL OR EXISTS (SELECT 1 FROM teams WHERE id = $4 AND deleted_at IS NULL) AS team,
                                      EXISTS (SELECT 1 FROM projects WHERE id = $1) AS taken),
                     inserted AS (INSERT INTO projects (id, name, owner_id, team_id, visibility, created_at, deleted_at)
                                  SELECT $1, $2, $3, $4, $5, $6, $7 FROM found WHERE owner AND team AND NOT taken)
                SELECT owner, team, taken FROM found
                """, .of(project.id, project.name, project.ownerId, project.teamId, project.visibility.rawValue, project.createdAt,
                         project.deletedAt))
            try found.requireReference("owner_id", input.ownerId)
            try found.requireReference("team_id", input.teamId)
            try found.requireNew(.projects, id)
            try changes.created(project)
        case .generation(let input):
            let id = input.id ?? Identifier.generate(prefix: "gen")
            let generation = Generation(id: id, ownerId: input.ownerId, projectId: input.projectId, status: input.status,
                                        mediaKey: input.mediaKey, createdAt: input.createdAt ?? now, deletedAt: input.deletedAt)
            var found = try run.checked("""
                WITH found AS (SELECT EXISTS (SELECT 1 FROM users WHERE id = $2 AND deleted_at IS NULL) AS owner,
                                      $3::text IS NULL OR EXISTS (SELECT 1 FROM projects WHERE id = $3 AND deleted_at IS NULL) AS project,
                                      EXISTS (SELECT 1 FROM generations WHERE id = $1) AS taken),
                     inserted AS (INSERT INTO generations (id, owner_id, project_id, status, media_key, created_at, deleted_at)
                                  SELECT $1, $2, $3, $4, $5, $6, $7 FROM found WHERE owner AND project AND NOT taken)
                SELECT owner, project, taken FROM found
                """, .of(generation.id, generation.ownerId, generation.projectId, generation.status.rawValue, generation.mediaKey,
                         generation.createdAt, generation.deletedAt))
            try found.requireReference("owner_id", input.ownerId)
            try found.requireReference("project_id", input.projectId)
            try found.requireNew(.generations, id)
            try changes.created(generation)
        }
    }

    /// The import's changes, in batches of 5,000 rows per statement.
    private static func insertChanges(_ run: BlockingStatements, _ changes: [Change], attribution: WriteAttribution, at: String) throws {
        guard let first = changes.first else { return }
        _ = try run.rows("INSERT INTO change_revisions (revision, at, actor_kind, actor_id, request_id) VALUES ($1, $2, $3, $4, $5)",
                         .of(first.revision, at, attribution.actor.kind.rawValue, attribution.actor.id, attribution.requestId))
        var start = changes.startIndex
        while start < changes.endIndex {
            let batch = changes[start..<min(start + 5000, changes.endIndex)]
            _ = try run.rows(insertChangesSQL, changeBindings(Array(batch), revision: first.revision))
            start = batch.endIndex
        }
    }
}

/// Statements run on one connection, each waiting for its rows (the synchronous import's). After a statement
/// PostgreSQL refused, the transaction can only be rolled back: `refused` says so.
private final class BlockingStatements {
    let connection: PostgresConnection
    let logger: Logger
    private(set) var refused = false

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    func rows(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws -> [PostgresRow] {
        do {
            return try PostgresSnapshotPool.rows(connection, sql, binds, logger: logger)
        } catch {
            refused = true
            throw error
        }
    }

    /// The one row of a line's statement: its checks' outcomes, in order, then whatever else it returns.
    func checked(_ sql: String, _ binds: PostgresBindings) throws -> LineChecks {
        guard let row = try rows(sql, binds).first else { throw PortcullisError(.storeError, "an import statement returned no row") }
        return LineChecks(row)
    }
}

/// The outcomes of a line's checks, read in the order its statement returns them.
private struct LineChecks {
    private var columns: PostgresColumns

    init(_ row: PostgresRow) { columns = PostgresColumns(row) }

    mutating func flag() throws -> Bool { try columns.next() }

    /// The next outcome says whether the live row `id` that `field` names exists (nothing to check without an id).
    mutating func requireReference(_ field: String, _ id: String?) throws {
        let exists = try flag()
        if let id, !exists { throw PortcullisError.unknownReference(field, id) }
    }

    /// The next outcome says whether `id` was ever used in `table`.
    mutating func requireNew(_ table: PostgresStore.Table, _ id: String) throws {
        if try flag() { throw PortcullisError(.conflict, "\(table.noun) '\(id)' already exists") }
    }

    /// The membership whose columns follow the outcomes, if there was one (its team id is then not NULL).
    mutating func member() throws -> TeamMember? {
        var ahead = columns
        guard try ahead.next(String?.self) != nil else { return nil }
        return try PostgresStore.member(&columns)
    }
}

/// The changes one import records, kept until they are inserted at the end of its transaction.
private final class ImportedChanges {
    var items: [Change] = []
}
