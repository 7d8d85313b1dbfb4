import Logging
import PortcullisModel
import PortcullisStore
import PostgresNIO

/// The NDJSON import on PostgreSQL: every line in one transaction, or nothing (`ImportStore`).
///
/// The protocol is synchronous (it streams a file through one transaction, run off the request executor by its
/// callers), so the import runs on a `PostgresSnapshotPool` connection, each statement waiting for its future (refused
/// on an event-loop thread), and holds the write gate (`PostgresWriteGate.runBlocking`) so its commit is announced in
/// revision order with the asynchronous writes. Each line runs under a savepoint: a line PostgreSQL refuses is rolled
/// back alone and reported, and the transaction goes on to find the other bad lines, as on SQLite.
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
                            _ = try run.rows("SAVEPOINT import_line")
                            let mark = recorded.items.count
                            var lineChanges = changes
                            do {
                                try Self.insert(record, run, now: now, changes: &lineChanges)
                                _ = try run.rows("RELEASE SAVEPOINT import_line")
                                changes = lineChanges
                            } catch {
                                _ = try run.rows("ROLLBACK TO SAVEPOINT import_line")
                                recorded.items.removeSubrange(mark...)
                                throw error
                            }
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

    /// One record's rows, with the same checks and changes as the management writes.
    private static func insert(_ record: ImportRecord, _ run: BlockingStatements, now: String, changes: inout ChangeRecorder) throws {
        switch record {
        case .user(let input, let passwordHash):
            let id = input.id ?? Identifier.generate(prefix: "usr")
            let user = User(id: id, email: input.email, displayName: input.displayName, isAdmin: input.isAdmin, status: input.status,
                            createdAt: input.createdAt ?? now, deletedAt: input.deletedAt)
            try run.requireNewId(.users, id)
            if user.deletedAt == nil, let holder = try run.rows("SELECT id FROM users WHERE email = $1 AND deleted_at IS NULL", .of(user.email)).first,
               try holder.decode(String.self) != id {
                throw PortcullisError(.conflict, "email '\(user.email)' is already in use")
            }
            _ = try run.rows("""
                INSERT INTO users (id, email, display_name, password_hash, is_admin, status, created_at, deleted_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, .of(user.id, user.email, user.displayName, passwordHash, user.isAdmin, user.status.rawValue, user.createdAt, user.deletedAt))
            try changes.created(user)
        case .team(let input):
            let id = input.id ?? Identifier.generate(prefix: "team")
            try run.requireReference(.users, input.ownerId, field: "owner_id")
            let team = Team(id: id, name: input.name, ownerId: input.ownerId, createdAt: input.createdAt ?? now, deletedAt: input.deletedAt)
            try run.requireNewId(.teams, id)
            _ = try run.rows("INSERT INTO teams (id, name, owner_id, created_at, deleted_at) VALUES ($1, $2, $3, $4, $5)",
                             .of(team.id, team.name, team.ownerId, team.createdAt, team.deletedAt))
            try changes.created(team)
            try upsertMember(run, teamId: team.id, userId: team.ownerId, MembershipInput(role: .owner, createdAt: team.createdAt), now: now,
                             changes: &changes)
        case .member(let teamId, let userId, let input):
            try run.requireReference(.teams, teamId, field: "team_id")
            try run.requireReference(.users, userId, field: "user_id")
            try upsertMember(run, teamId: teamId, userId: userId, input, now: now, changes: &changes)
        case .project(let input):
            let id = input.id ?? Identifier.generate(prefix: "prj")
            try run.requireReference(.users, input.ownerId, field: "owner_id")
            try run.requireReference(.teams, input.teamId, field: "team_id")
            let project = Project(id: id, name: input.name, ownerId: input.ownerId, teamId: input.teamId, visibility: input.visibility,
                                  createdAt: input.createdAt ?? now, deletedAt: input.deletedAt)
            try run.requireNewId(.projects, id)
            _ = try run.rows("""
                INSERT INTO projects (id, name, owner_id, team_id, visibility, created_at, deleted_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, .of(project.id, project.name, project.ownerId, project.teamId, project.visibility.rawValue, project.createdAt,
                         project.deletedAt))
            try changes.created(project)
        case .generation(let input):
            let id = input.id ?? Identifier.generate(prefix: "gen")
            try run.requireReference(.users, input.ownerId, field: "owner_id")
            try run.requireReference(.projects, input.projectId, field: "project_id")
            let generation = Generation(id: id, ownerId: input.ownerId, projectId: input.projectId, status: input.status,
                                        mediaKey: input.mediaKey, createdAt: input.createdAt ?? now, deletedAt: input.deletedAt)
            try run.requireNewId(.generations, id)
            _ = try run.rows("""
                INSERT INTO generations (id, owner_id, project_id, status, media_key, created_at, deleted_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, .of(generation.id, generation.ownerId, generation.projectId, generation.status.rawValue, generation.mediaKey,
                         generation.createdAt, generation.deletedAt))
            try changes.created(generation)
        }
    }

    private static func upsertMember(_ run: BlockingStatements, teamId: String, userId: String, _ input: MembershipInput, now: String,
                                     changes: inout ChangeRecorder) throws {
        let existing = try run.rows("SELECT \(memberColumns) FROM team_members WHERE team_id = $1 AND user_id = $2", .of(teamId, userId))
            .first.map(member)
        let member = TeamMember(input, teamId: teamId, userId: userId, createdAt: existing?.createdAt ?? input.createdAt ?? now)
        _ = try run.rows("""
            INSERT INTO team_members (team_id, user_id, role, permissions, is_active, created_at, starts_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role, permissions = excluded.permissions,
                is_active = excluded.is_active, starts_at = excluded.starts_at, expires_at = excluded.expires_at
            """, .of(teamId, userId, member.role.rawValue, member.permissions.map(\.rawValue).joined(separator: " "), member.isActive,
                     member.createdAt, input.startsAt, input.expiresAt))
        try changes.put(existing, member)
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

/// Statements run on one connection, each waiting for its rows (the synchronous import's).
private struct BlockingStatements {
    let connection: PostgresConnection
    let logger: Logger

    func rows(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws -> [PostgresRow] {
        try PostgresSnapshotPool.rows(connection, sql, binds, logger: logger)
    }

    func exists(_ table: PostgresStore.Table, _ id: String, live: Bool) throws -> Bool {
        try !rows("SELECT 1 FROM \(table.rawValue) WHERE id = $1\(live ? " AND deleted_at IS NULL" : "")", .of(id)).isEmpty
    }

    func requireReference(_ table: PostgresStore.Table, _ id: String?, field: String) throws {
        guard let id else { return }
        guard try exists(table, id, live: true) else { throw PortcullisError.unknownReference(field, id) }
    }

    func requireNewId(_ table: PostgresStore.Table, _ id: String) throws {
        if try exists(table, id, live: false) { throw PortcullisError(.conflict, "\(table.noun) '\(id)' already exists") }
    }
}

/// The changes one import records, kept until they are inserted at the end of its transaction.
private final class ImportedChanges {
    var items: [Change] = []
}
