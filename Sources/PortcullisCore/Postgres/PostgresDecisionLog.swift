import Logging
import NIOCore
import NIOPosix
import PortcullisModel
import PostgresNIO

/// The decision log's entries in the shared PostgreSQL database (SPEC 8.4), table `decisions` of
/// `schema/postgres/0004_decision_log.sql`: what `DecisionLog` writes and reads on this backend instead of the node's
/// SQLite file, so every node reads what any node logged.
///
/// The log's API is synchronous (the request path only enqueues; the writer's flush and the audit reads wait for
/// their statement), so it runs on connections of its own (`PostgresSnapshotPool`): the calling thread waits for
/// PostgresNIO's futures, which complete on NIO's threads, and an event-loop thread is refused (`store_error`) rather
/// than blocked. A batch is one `INSERT … SELECT FROM unnest(…)` of one array per column: one round trip, one
/// transaction, whatever its size.
///
/// ```swift
/// let store = try PostgresStore(configuration)
/// let log = try DecisionLog(configuration: settings.decisionLog, postgres: try PostgresDecisionLog(store: store))
/// ```
public final class PostgresDecisionLog: Sendable {
    /// The advisory lock the retention sweep takes, transaction-scoped and tried, never waited for: one node deletes
    /// while the others skip that sweep, with the schema's hash as the second key (`PostgresStore.tryRetentionLockSQL`).
    public static let retentionLockKey: Int64 = 0x6465_6369  // "deci"

    /// This process's origin, unique among the logs opened on the database (`decision_origins`): the origin of the
    /// ids it hands out, so ids of two nodes never collide.
    public let origin: UInt32
    let connections: PostgresSnapshotPool
    let logger: Logger

    /// A log in `store`'s database and schema (whose migrations the store applied), on `capacity` connections of its
    /// own; draws this process's origin.
    /// - Throws: `store_unavailable` when the database cannot be reached, `store_error` on an event-loop thread.
    public init(store: PostgresStore, capacity: Int = 2) throws {
        let configuration: PostgresConnection.Configuration
        do {
            configuration = try store.configuration.connectionConfiguration()
        } catch {
            throw PortcullisError(.invalidConfig, "postgres TLS settings: \(error)")
        }
        let logger = store.logger
        let connections = PostgresSnapshotPool(configuration: configuration, capacity: capacity, eventLoops: MultiThreadedEventLoopGroup.singleton,
                                               logger: logger)
        self.logger = logger
        self.connections = connections
        origin = try connections.withConnection { connection in
            let rows = try PostgresSnapshotPool.rows(connection, "SELECT nextval('decision_origins')", .of(), logger: logger)
            guard let row = rows.first else { throw PortcullisError(.storeError, "decision_origins returned no value") }
            var columns = PostgresColumns(row)
            return UInt32(truncatingIfNeeded: try columns.next(Int64.self))
        }
    }

    // MARK: Writing

    static let insertSQL = """
        INSERT INTO decisions (seq, origin, revision, caller_kind, caller_id, user_id, action, resource_type, resource_id, allowed, reason,
                               rules, client_address, as_of)
        SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                             $10::boolean[], $11::text[], $12::text[], $13::text[], $14::bigint[])
        ON CONFLICT (seq, origin) DO NOTHING
        """

    /// Inserts `rows` in one statement (one round trip, one transaction); an id already present is skipped.
    public func insert(_ rows: [Row]) throws {
        guard !rows.isEmpty else { return }
        var binds = PostgresBindings(capacity: 14)
        binds.append(rows.map(\.key))
        binds.append(rows.map { Int64($0.origin) })
        binds.append(rows.map(\.revision))
        binds.append(PostgresNullableArray(rows.map(\.callerKind)))
        binds.append(PostgresNullableArray(rows.map(\.callerId)))
        binds.append(PostgresNullableArray(rows.map(\.userId)))
        binds.append(rows.map(\.action))
        binds.append(rows.map(\.resourceType))
        binds.append(PostgresNullableArray(rows.map(\.resourceId)))
        binds.append(rows.map(\.allowed))
        binds.append(rows.map(\.reason))
        binds.append(rows.map(\.rules))
        binds.append(PostgresNullableArray(rows.map(\.clientAddress)))
        binds.append(PostgresNullableArray(rows.map(\.asOf)))
        let logger = logger
        _ = try connections.withConnection { connection in
            try PostgresSnapshotPool.rows(connection, Self.insertSQL, binds, logger: logger)
        }
    }

    // MARK: Reading

    /// The columns a `Row` is read from, in order.
    static let columns = "seq, origin, revision, caller_kind, caller_id, user_id, action, resource_type, resource_id, allowed, reason, rules, "
        + "client_address, as_of"

    /// One page matching `filter`, newest first (`seq DESC, origin DESC`). A page never splits a `seq`: when its last
    /// entry shares its `seq` with older ones (two nodes deciding in the same millisecond with the same counter), they
    /// are added, so the page may exceed `limit`, and a cursor of that `seq` (`seq < cursor`) misses none.
    public func page(_ filter: Filter) throws -> [Row] {
        let logger = logger
        return try connections.withConnection { connection in
            let (sql, binds) = Self.pageStatement(filter)
            var rows = try PostgresSnapshotPool.rows(connection, sql, binds, logger: logger).map(Self.row)
            if rows.count == filter.limit, let last = rows.last {
                let (sql, binds) = Self.tieStatement(filter, key: last.key, origin: last.origin)
                rows += try PostgresSnapshotPool.rows(connection, sql, binds, logger: logger).map(Self.row)
            }
            return rows
        }
    }

    /// The entry whose id is `key` and `origin`, if the log holds it.
    public func entry(key: Int64, origin: UInt32) throws -> Row? {
        let logger = logger
        return try connections.withConnection { connection in
            try PostgresSnapshotPool.rows(connection, Self.entrySQL, .of(key, Int64(origin)), logger: logger).first.map(Self.row)
        }
    }

    static let entrySQL = "SELECT \(columns) FROM decisions WHERE seq = $1 AND origin = $2"

    /// The statement of a page: the key range, the filters set, the order and the limit, numbered in that order.
    static func pageStatement(_ filter: Filter) -> (sql: String, binds: PostgresBindings) {
        var conditions = ["seq >= $1", "seq < $2"], binds = PostgresBindings.of(filter.low, filter.high)
        filter.appendConditions(to: &conditions, &binds)
        binds.append(Int64(filter.limit))
        let sql = "SELECT \(columns) FROM decisions WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq DESC, origin DESC "
            + "LIMIT $\(conditions.count + 1)"
        return (sql, binds)
    }

    /// The statement of the entries sharing a full page's last `seq` and older than its last entry.
    static func tieStatement(_ filter: Filter, key: Int64, origin: UInt32) -> (sql: String, binds: PostgresBindings) {
        var conditions = ["seq = $1", "origin < $2"], binds = PostgresBindings.of(key, Int64(origin))
        filter.appendConditions(to: &conditions, &binds)
        return ("SELECT \(columns) FROM decisions WHERE \(conditions.joined(separator: " AND ")) ORDER BY origin DESC", binds)
    }

    private static func row(_ row: PostgresRow) throws -> Row {
        var columns = PostgresColumns(row)
        return Row(key: try columns.next(), origin: UInt32(truncatingIfNeeded: try columns.next(Int64.self)), revision: try columns.next(),
                   callerKind: try columns.next(), callerId: try columns.next(), userId: try columns.next(), action: try columns.next(),
                   resourceType: try columns.next(), resourceId: try columns.next(), allowed: try columns.next(), reason: try columns.next(),
                   rules: try columns.next(), clientAddress: try columns.next(), asOf: try columns.next())
    }

    // MARK: Retention

    /// Deletes every entry whose key is below `key`, under `retentionLockKey`: returns how many went, or nil when
    /// another node holds the lock (it is sweeping; this sweep is skipped, the next one tries again).
    public func deleteEntries(before key: Int64) throws -> Int? {
        let logger = logger
        return try connections.withConnection { connection in
            func run(_ sql: String, _ binds: PostgresBindings = .of()) throws -> [PostgresRow] {
                try PostgresSnapshotPool.rows(connection, sql, binds, logger: logger)
            }
            _ = try run("BEGIN")
            do {
                var locked = PostgresColumns(try run(PostgresStore.tryRetentionLockSQL, .of(Self.retentionLockKey))[0])
                guard try locked.next(Bool.self) else {
                    _ = try run("ROLLBACK")
                    return nil
                }
                var deleted = PostgresColumns(try run(Self.deleteSQL, .of(key))[0])
                let count = try deleted.next(Int64.self)
                _ = try run("COMMIT")
                return Int(count)
            } catch {
                _ = try? run("ROLLBACK")
                throw error
            }
        }
    }

    static let deleteSQL = "WITH deleted AS (DELETE FROM decisions WHERE seq < $1 RETURNING 1) SELECT count(*) FROM deleted"
}

extension PostgresDecisionLog {
    /// One entry as stored: the columns of `decisions`.
    public struct Row: Sendable, Equatable {
        /// The id's time and counter (`DecisionID.key`).
        public var key: Int64
        /// The id's origin.
        public var origin: UInt32
        /// The data revision the answer reflects.
        public var revision: Int64
        /// `api_key`, `user`, `cli` or `system`; nil for a sign-in attempt.
        public var callerKind: String?
        /// The caller's id.
        public var callerId: String?
        /// The user the question was about, or the account.
        public var userId: String?
        /// The action.
        public var action: String
        /// `generation`, `project`, `team` or `account`.
        public var resourceType: String
        /// The resource's id.
        public var resourceId: String?
        /// The answer.
        public var allowed: Bool
        /// The reason code.
        public var reason: String
        /// The encoded rule path (empty for account entries).
        public var rules: String
        /// The client's address, for account entries.
        public var clientAddress: String?
        /// For a what-if check, the Unix milliseconds it was evaluated at.
        public var asOf: Int64?

        /// A row of every column.
        public init(key: Int64, origin: UInt32, revision: Int64, callerKind: String?, callerId: String?, userId: String?, action: String,
                    resourceType: String, resourceId: String?, allowed: Bool, reason: String, rules: String, clientAddress: String?,
                    asOf: Int64?) {
            self.key = key
            self.origin = origin
            self.revision = revision
            self.callerKind = callerKind
            self.callerId = callerId
            self.userId = userId
            self.action = action
            self.resourceType = resourceType
            self.resourceId = resourceId
            self.allowed = allowed
            self.reason = reason
            self.rules = rules
            self.clientAddress = clientAddress
            self.asOf = asOf
        }
    }

    /// What a page holds: keys in `[low, high)`, the filters set, at most `limit` entries (plus a finished tie).
    public struct Filter: Sendable, Equatable {
        /// The smallest key.
        public var low: Int64
        /// Keys below this.
        public var high: Int64
        /// Entries about this user.
        public var userId: String?
        /// Entries about this resource.
        public var resourceId: String?
        /// Entries of this resource type.
        public var resourceType: String?
        /// Only allowed (true) or only denied (false) answers.
        public var allowed: Bool?
        /// Page size.
        public var limit: Int

        /// A filter of every part.
        public init(low: Int64, high: Int64, userId: String?, resourceId: String?, resourceType: String?, allowed: Bool?, limit: Int) {
            self.low = low
            self.high = high
            self.userId = userId
            self.resourceId = resourceId
            self.resourceType = resourceType
            self.allowed = allowed
            self.limit = limit
        }

        /// Appends `column = $n` for each filter set, with its value.
        func appendConditions(to conditions: inout [String], _ binds: inout PostgresBindings) {
            let filters: [(String, (any PostgresBindable)?)] = [("user_id", userId), ("resource_id", resourceId), ("resource_type", resourceType),
                                                                 ("allowed", allowed)]
            for case let (column, value?) in filters {
                value.bind(into: &binds)
                conditions.append("\(column) = $\(conditions.count + 1)")
            }
        }
    }
}
