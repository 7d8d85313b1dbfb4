import PortcullisModel
import PortcullisSQLite
import GRDB

/// The change log in the `changes` and `change_revisions` tables (schema/0005_changes.sql, 0008_change_revisions.sql),
/// written by every write transaction: a revision's `at`, actor and request id once, in `change_revisions`, with its
/// first change; each change in a narrow row of `changes`.
extension SQLiteStore: ChangeStore {
    static let insertChangeSQL = "INSERT INTO changes (revision, seq, entity, entity_id, op, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)"

    static let insertChangeRevisionSQL = "INSERT INTO change_revisions (revision, at, actor_kind, actor_id, request_id) VALUES (?, ?, ?, ?, ?)"

    static let changeColumns = """
        changes.revision, changes.seq, r.at, r.actor_kind, r.actor_id, r.request_id, changes.entity, changes.entity_id, changes.op, \
        changes.before, changes.after
        """

    /// The changes after a position, in log order, through the primary key, or the `entity_id` index when filtered
    /// by id; `entity` alone filters the key range. Each change's revision is one key lookup in `change_revisions`
    /// (`CROSS JOIN` keeps `changes` the outer loop, so the log's order is the index's).
    /// (Numbered parameters: the query-plan test binds them all.)
    static func changesSQL(entity: Bool, entityId: Bool, onlyRevision: Bool) -> String {
        // Within one revision the position's revision is that revision: a plain range on `seq` lets the entity_id index
        // give the order too (a row value beside `revision = ?` made SQLite sort).
        var conditions = [onlyRevision ? "changes.revision = ?3 AND changes.seq > ?2" : "(changes.revision, changes.seq) > (?1, ?2)"]
        if entity { conditions.append("changes.entity = ?4") }
        if entityId { conditions.append("changes.entity_id = ?5") }
        let index = entityId ? " INDEXED BY changes_by_entity_id" : ""
        return """
            SELECT \(changeColumns) FROM changes\(index) CROSS JOIN change_revisions r ON r.revision = changes.revision \
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY changes.revision, changes.seq LIMIT ?6
            """
    }

    /// A recorder whose every change is one execution of a prepared insert, in the write's transaction; the first also
    /// stores the revision's `at`, actor and request id. A bulk write's recorder derives `after` (see
    /// `ChangeRecorder`): creates and updates are stored without it.
    static func changeRecorder(_ db: Database, revision: Int64, attribution: WriteAttribution, derivesAfter: Bool = false) throws
        -> ChangeRecorder
    {
        let insert = try BoundStatement(db.cachedStatement(sql: insertChangeSQL), parameters: 7)
        let at = WallClock.system.timestamp()
        let actor = attribution.actor, requestId = attribution.requestId
        return ChangeRecorder(revision: revision, at: at, attribution: attribution, derivesAfter: derivesAfter) { change in
            if change.seq == 0 {
                try db.cachedStatement(sql: insertChangeRevisionSQL).execute(arguments: [revision, at, actor.kind.rawValue, actor.id, requestId])
            }
            insert.reset()
            insert.bind(1, change.revision)
            insert.bind(2, change.seq)
            insert.bind(3, change.entity.rawValue)
            insert.bind(4, change.entityId)
            insert.bind(5, change.op.rawValue)
            insert.bind(6, change.before)
            insert.bind(7, change.after)
            try insert.execute()
        }
    }

    static func change(_ row: Row) -> Change {
        Change(revision: row[0], seq: row[1], at: row[2],
               actor: ChangeActor(ChangeActor.Kind(rawValue: row[3]) ?? .system, id: row[4]), requestId: row[5],
               entity: ChangeEntity(rawValue: row[6]) ?? .user, entityId: row[7], op: ChangeOp(rawValue: row[8]) ?? .update,
               before: row[9], after: row[10])
    }

    /// Both reads of a page (and the horizon) in one read transaction: one consistent snapshot of committed revisions.
    /// A derived `after` is filled in from the same snapshot.
    public func changes(_ query: ChangeQuery) async throws -> ChangePage {
        try await read { db in
            try ChangePaging.page(query, horizon: try Self.horizon(db)) { position, onlyRevision, limit in
                let sql = Self.changesSQL(entity: query.entity != nil, entityId: query.entityId != nil, onlyRevision: onlyRevision != nil)
                let arguments: [(any DatabaseValueConvertible)?] = [position.revision, position.seq ?? Int64.max, onlyRevision,
                                                                    query.entity?.rawValue, query.entityId, limit]
                var items = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments)).map(Self.change)
                try Self.deriveAfters(db, &items)
                return items
            }
        }
    }

    /// The revision of the last committed write, from the snapshot of one read.
    public func latestRevision() async throws -> Int64 {
        try await read { db in try Int64.fetchOne(db, sql: "SELECT value FROM revision WHERE id = 1") ?? 0 }
    }

    /// The revision at or below which retention may have removed changes.
    public func changeHorizon() async throws -> Int64 {
        try await read { db in try Self.horizon(db) }
    }

    static func horizon(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT revision FROM change_horizon WHERE id = 1") ?? 0
    }

    /// Walks the log from its oldest change to the first one recorded at or after `cutoff`, deleting every revision
    /// before it (a range of the key), a batch per transaction, so writers wait for one batch at most.
    /// Moves no revision: retention is bookkeeping, not a write of data.
    @discardableResult
    public func pruneChanges(recordedBefore cutoff: String) async throws -> Int {
        var removed = 0
        while true {
            let batch = try await pruneBatch(before: cutoff, limit: 5000)
            removed += batch
            if batch == 0 { return removed }
        }
    }

    private func pruneBatch(before cutoff: String, limit: Int) async throws -> Int {
        do {
            return try await pool.write { db in
                // The last revision among the oldest `limit` changes that were all recorded before the cutoff. All changes of
                // a revision share its `at`, so deleting whole revisions up to it removes nothing recorded later.
                let rows = try Row.fetchAll(db, sql: """
                    SELECT changes.revision, r.at FROM changes CROSS JOIN change_revisions r ON r.revision = changes.revision
                    ORDER BY changes.revision, changes.seq LIMIT ?
                    """, arguments: [limit])
                var last: Int64?
                for row in rows {
                    let at: String = row[1]
                    guard at < cutoff else { break }
                    last = row[0]
                }
                guard let upTo = last else { return 0 }
                try db.execute(sql: "DELETE FROM changes WHERE revision <= ?", arguments: [upTo])
                let count = db.changesCount
                try db.execute(sql: "DELETE FROM change_revisions WHERE revision <= ?", arguments: [upTo])
                try db.execute(sql: "UPDATE change_horizon SET revision = max(revision, ?) WHERE id = 1", arguments: [upTo])
                return count
            }
        } catch {
            throw Self.mapped(error)
        }
    }
}
