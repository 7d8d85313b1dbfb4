import Logging
import NIOCore
import NIOPosix
import PortcullisModel
import PortcullisStore
import PostgresNIO

/// The change log in `changes` and `change_revisions`, written by every write transaction (the same tables and
/// paging as `SQLiteStore+Changes`).
extension PostgresStore: ChangeStore {
    /// Inserts one write's changes, and its revision's time, actor and request id once, in the write's transaction.
    static func insertChanges(_ connection: PostgresConnection, _ changes: [Change], attribution: WriteAttribution, at: String,
                              logger: Logger) async throws {
        guard let first = changes.first else { return }
        let actor = attribution.actor
        try await execute(connection, "INSERT INTO change_revisions (revision, at, actor_kind, actor_id, request_id) VALUES ($1, $2, $3, $4, $5)",
                          .of(first.revision, at, actor.kind.rawValue, actor.id, attribution.requestId), logger: logger)
        try await execute(connection, insertChangesSQL, changeBindings(changes, revision: first.revision), logger: logger)
    }

    /// Inserts many changes of one revision in one statement: $1 the revision, then one array per column.
    static let insertChangesSQL = """
        INSERT INTO changes (revision, seq, entity, entity_id, op, before, after)
        SELECT $1, c.seq, c.entity, c.entity_id, c.op, CASE WHEN c.has_before THEN c.before END, CASE WHEN c.has_after THEN c.after END
        FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::text[], $9::boolean[])
            AS c (seq, entity, entity_id, op, before, has_before, after, has_after)
        """

    /// The parameters of `insertChangesSQL`.
    static func changeBindings(_ changes: [Change], revision: Int64) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(revision)
        binds.append(changes.map(\.seq))
        binds.append(changes.map(\.entity.rawValue))
        binds.append(changes.map(\.entityId))
        binds.append(changes.map(\.op.rawValue))
        // Text arrays cannot hold NULL through PostgresNIO's [String]; an absent before/after travels as a flag.
        binds.append(changes.map { $0.before ?? "" })
        binds.append(changes.map { $0.before != nil })
        binds.append(changes.map { $0.after ?? "" })
        binds.append(changes.map { $0.after != nil })
        return binds
    }

    static let changeColumns = """
        c.revision, c.seq, r.at, r.actor_kind, r.actor_id, r.request_id, c.entity, c.entity_id, c.op, c.before, c.after
        """

    /// The changes after a position, in log order, through the primary key or the `entity_id` index.
    /// $1 revision, $2 seq, $3 only this revision, $4 entity, $5 entity id, $6 limit (all bound, used or not).
    static func changesSQL(entity: Bool, entityId: Bool, onlyRevision: Bool) -> String {
        var conditions = [onlyRevision ? "c.revision = $3 AND c.seq > $2" : "(c.revision, c.seq) > ($1, $2)"]
        if entity { conditions.append("c.entity = $4") }
        if entityId { conditions.append("c.entity_id = $5") }
        return """
            SELECT \(changeColumns) FROM changes c JOIN change_revisions r ON r.revision = c.revision
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY c.revision, c.seq LIMIT $6
            """
    }

    static func change(_ row: PostgresRow) throws -> Change {
        var columns = PostgresColumns(row)
        let revision: Int64 = try columns.next(), seq: Int64 = try columns.next(), at: String = try columns.next()
        let actorKind: String = try columns.next(), actorId: String? = try columns.next(), requestId: String? = try columns.next()
        let entity: String = try columns.next(), entityId: String = try columns.next(), op: String = try columns.next()
        return Change(revision: revision, seq: seq, at: at, actor: ChangeActor(ChangeActor.Kind(rawValue: actorKind) ?? .system, id: actorId),
                      requestId: requestId, entity: ChangeEntity(rawValue: entity) ?? .user, entityId: entityId,
                      op: ChangeOp(rawValue: op) ?? .update, before: try columns.next(), after: try columns.next())
    }

    /// Both reads of a page (and the horizon) in one REPEATABLE READ transaction: one snapshot of committed revisions.
    public func changes(_ query: ChangeQuery) async throws -> ChangePage {
        let logger = logger
        return try await offloadedSnapshot { connection in
            try ChangePaging.page(query, horizon: try Self.horizon(connection, logger: logger)) { position, onlyRevision, limit in
                let sql = Self.changesSQL(entity: query.entity != nil, entityId: query.entityId != nil, onlyRevision: onlyRevision != nil)
                // Every parameter is bound with a value, used or not: PostgreSQL cannot type a NULL nothing refers to.
                let binds = PostgresBindings.of(position.revision, position.seq ?? Int64.max, onlyRevision ?? 0, query.entity?.rawValue ?? "",
                                                query.entityId ?? "", limit)
                return try PostgresSnapshotPool.rows(connection, sql, binds, logger: logger).map(Self.change)
            }
        }
    }

    /// The revision of the last committed write: a prepared statement (`LatestRevisionStatement`).
    public func latestRevision() async throws -> Int64 {
        try await read { connection in try await Self.latestRevision(connection, logger: self.logger) }
    }

    /// The database's current revision for the consistency gate (SPEC 8.4), read by a statement sent after the call,
    /// and given to `done` once, from any thread, within about `limit`; else `store_unavailable`.
    ///
    /// It reads on an event loop's own connection (`PostgresLoopReader.revision(on:within:)`): the calling thread's
    /// loop when it is one (the fast path, or the gate's previous round), else one of the store's. A round then costs
    /// one prepared statement's round trip and no task, pool lease or timer task. While that connection opens, the
    /// pool reads it.
    public func readRevisionForGate(within limit: Duration, _ done: @escaping @Sendable (Result<Int64, PortcullisError>) -> Void) {
        guard let loop = MultiThreadedEventLoopGroup.currentEventLoop else {
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            return loop.execute { self.readRevisionForGate(within: limit, on: loop, done) }
        }
        readRevisionForGate(within: limit, on: loop, done)
    }

    private func readRevisionForGate(within limit: Duration, on loop: any EventLoop,
                                     _ done: @escaping @Sendable (Result<Int64, PortcullisError>) -> Void) {
        guard let read = loopReader.revision(on: loop, within: TimeAmount(limit)) else {
            Task { done(await self.revisionForGate(within: limit)) }
            return
        }
        read.whenComplete { result in
            done(result.mapError { PortcullisError(.storeUnavailable, "PostgreSQL did not give its revision: \(PostgresStore.mapped($0).message)") })
        }
    }

    /// The revision read through the pool, within `limit`.
    func revisionForGate(within limit: Duration) async -> Result<Int64, PortcullisError> {
        let logger = logger
        return await PostgresConsistencyGate.revision(within: limit) {
            try await self.client.withConnection { connection in try await Self.latestRevision(connection, logger: logger) }
        }
    }

    private static func latestRevision(_ connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        var revision: Int64 = 0
        for try await value in try await connection.execute(LatestRevisionStatement(), logger: logger) { revision = value }
        return revision
    }

    /// The revision at or below which retention may have removed changes.
    public func changeHorizon() async throws -> Int64 {
        let logger = logger
        return try await offloadedSnapshot { connection in try Self.horizon(connection, logger: logger) }
    }

    static func horizon(_ connection: PostgresConnection, logger: Logger) throws -> Int64 {
        guard let row = try PostgresSnapshotPool.rows(connection, "SELECT revision FROM change_horizon WHERE id = 1", PostgresBindings(),
                                                      logger: logger).first
        else { return 0 }
        var columns = PostgresColumns(row)
        return try columns.next()
    }

    /// The advisory lock retention holds for its transaction, with the schema's hash as the second key (deployments
    /// in other schemas of the database do not wait for each other): one node at a time prunes (SPEC 8.4).
    static let retentionLock: Int64 = 0x5043_5254  // "PCRT"
    /// Takes `pg_try_advisory_xact_lock(<key>, hashtext(current_schema()))`: $1 the key.
    static let tryRetentionLockSQL = "SELECT pg_try_advisory_xact_lock($1::int4, hashtext(current_schema()))"
    /// How long `commit_log` rows are kept for nodes catching up: a node further behind reloads from `versions`.
    static let commitLogRetentionSeconds: Int64 = 86_400

    /// Deletes every revision whose changes were all recorded before `cutoff`, in one transaction, and moves the
    /// horizon; prunes `commit_log` rows older than a day (always keeping the newest) in the same transaction. Moves
    /// no revision: retention is bookkeeping, not a write of data. One node at a time: while another node's
    /// retention holds `retentionLock`, this one does nothing and returns 0.
    @discardableResult
    public func pruneChanges(recordedBefore cutoff: String) async throws -> Int {
        let logger = logger
        return try await read { connection in
            try await Self.execute(connection, "BEGIN", logger: logger)
            do {
                let locked = try await Self.query(connection, Self.tryRetentionLockSQL, .of(Self.retentionLock), logger: logger)
                guard try locked.first?.decode(Bool.self) == true else {
                    try await Self.execute(connection, "COMMIT", logger: logger)
                    return 0
                }
                try await Self.execute(connection, """
                    DELETE FROM commit_log WHERE recorded_at < now() - $1 * interval '1 second'
                    AND revision < (SELECT max(revision) FROM commit_log)
                    """, .of(Self.commitLogRetentionSeconds), logger: logger)
                // All changes of a revision share its `at`: whole revisions recorded before the cutoff go.
                let bound = try await Self.query(connection, """
                    SELECT max(revision) FROM change_revisions WHERE revision < COALESCE(
                        (SELECT min(revision) FROM change_revisions WHERE at >= $1), (SELECT max(revision) + 1 FROM change_revisions))
                    """, .of(cutoff), logger: logger)
                guard let upTo = try bound.first?.decode(Int64?.self) else {
                    try await Self.execute(connection, "COMMIT", logger: logger)
                    return 0
                }
                let removed = try await Self.query(connection, "DELETE FROM changes WHERE revision <= $1 RETURNING 1", .of(upTo), logger: logger).count
                try await Self.execute(connection, "DELETE FROM change_revisions WHERE revision <= $1", .of(upTo), logger: logger)
                try await Self.execute(connection, "UPDATE change_horizon SET revision = GREATEST(revision, $1) WHERE id = 1", .of(upTo),
                                       logger: logger)
                try await Self.execute(connection, "COMMIT", logger: logger)
                return removed
            } catch {
                try? await Self.execute(connection, "ROLLBACK", logger: logger)
                throw error
            }
        }
    }
}
