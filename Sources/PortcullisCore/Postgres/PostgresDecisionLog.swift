import Logging
import NIOCore
import NIOPosix
import PortcullisModel
import PostgresNIO

/// The decision log's entries in the shared PostgreSQL database (SPEC 8.4), table `decisions` of
/// `schema/postgres/0004_decision_log.sql` and its filters' postings, `decision_postings` of
/// `0006_decision_postings.sql`: what `DecisionLog` writes and reads on this backend instead of the node's SQLite
/// file, so every node reads what any node logged.
///
/// The log's API is synchronous (the request path only enqueues; the writer's flush and the audit reads wait for
/// their statement), so it runs on connections of its own (`PostgresSnapshotPool`): the calling thread waits for
/// PostgresNIO's futures, which complete on NIO's threads, and an event-loop thread is refused (`store_error`) rather
/// than blocked. A batch, entries and postings, is one statement of `unnest`ed arrays: one round trip, one
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

    /// A batch's entries and their postings in one statement (one round trip, one transaction): $1…$14 the entries'
    /// columns, $15…$19 the postings rows' kind, id, last key, origin and keys (as `{k1,k2,…}` text: PostgreSQL's
    /// `unnest` takes no ragged array of arrays).
    ///
    /// Two choices halve what PostgreSQL spends on a batch's entries (40,000 of them: 220–340 ms before, 119–145 ms
    /// after; docs/scaling.md, "The decision log on PostgreSQL"):
    /// - The arrays are `unnest`ed in the select list, one element of each per row. `FROM unnest(…)` first copies
    ///   each of them into a tuple store, which spills to disk beyond `work_mem`.
    /// - No `ON CONFLICT`: its speculative insertion probes the primary key before every row. Ids are unique by
    ///   construction (`origin` is this process's, and its counter), except after the wall clock stepped back by more
    ///   than the counter's 2^21 ids; a batch holding an id already logged then fails whole, and `insert` sends it once
    ///   more as `insertSkippingLoggedSQL`.
    static let insertSQL = batchSQL(skippingLogged: false)

    /// `insertSQL` skipping the ids already logged, as the SQLite file's `INSERT OR IGNORE`: for the rare batch that
    /// `insertSQL` refused whole. A skipped entry's postings rows may still list its key under its lookups; a page
    /// checks every entry it reads against every filter, so such a key only costs a read.
    static let insertSkippingLoggedSQL = batchSQL(skippingLogged: true)

    private static func batchSQL(skippingLogged: Bool) -> String {
        let (entries, postings) = skippingLogged
            ? ("\n    ON CONFLICT (seq, origin) DO NOTHING", "\nON CONFLICT (kind, id, last_key, origin) DO NOTHING") : ("", "")
        return """
            WITH entries AS (
                INSERT INTO decisions (seq, origin, revision, caller_kind, caller_id, user_id, action, resource_type, resource_id, allowed, reason,
                                       rules, client_address, as_of)
                SELECT unnest($1::bigint[]), unnest($2::bigint[]), unnest($3::bigint[]), unnest($4::text[]), unnest($5::text[]),
                       unnest($6::text[]), unnest($7::text[]), unnest($8::text[]), unnest($9::text[]), unnest($10::boolean[]),
                       unnest($11::text[]), unnest($12::text[]), unnest($13::text[]), unnest($14::bigint[])\(entries)
            )
            INSERT INTO decision_postings (kind, id, last_key, origin, keys)
            SELECT unnest($15::bigint[])::smallint, unnest($16::text[]), unnest($17::bigint[]), unnest($18::bigint[]), unnest($19::text[])::bigint[]\(postings)
            """
    }

    /// Inserts `rows` and their postings in one statement (one round trip, one transaction). An id already logged
    /// (never, unless the wall clock stepped back far) fails that statement, and the batch is sent once more skipping
    /// the ids already there.
    public func insert(_ rows: [Row]) throws {
        guard !rows.isEmpty else { return }
        let binds = Self.insertBindings(rows)
        let logger = logger
        _ = try connections.withConnection { connection in
            do {
                return try PostgresSnapshotPool.rows(connection, Self.insertSQL, binds, logger: logger)
            } catch let error as PortcullisError where error.code == .conflict {
                logger.warning("a decision-log batch repeated a logged id; inserting it without the repeated ids")
                return try PostgresSnapshotPool.rows(connection, Self.insertSkippingLoggedSQL, binds, logger: logger)
            }
        }
    }

    /// `insertSQL`'s 19 arrays for `rows`.
    static func insertBindings(_ rows: [Row]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: 19)
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
        let postings = Self.postings(of: rows)
        binds.append(postings.map { Int64($0.kind.rawValue) })
        binds.append(postings.map(\.id))
        binds.append(postings.map(\.lastKey))
        binds.append(postings.map(\.origin))
        binds.append(postings.map { "{" + $0.keys.map(String.init).joined(separator: ",") + "}" })
        return binds
    }

    // MARK: Postings

    /// The widest range of keys one postings row covers (`DecisionLookup.postingsSpan`), as the SQLite file's, and the
    /// slices `0006_decision_postings.sql` cut the entries logged before it in.
    public static let postingsSpan = DecisionLookup.postingsSpan

    /// A postings row: the keys of one writer's entries with one lookup, ascending, within `postingsSpan` of the last.
    struct Posting: Equatable {
        var kind: DecisionLookup
        var id: String
        var lastKey: Int64
        var origin: Int64
        var keys: [Int64]
    }

    /// `rows`' postings: per lookup and origin, the keys ascending, cut wherever a row would cover more than
    /// `postingsSpan`.
    static func postings(of rows: [Row]) -> [Posting] {
        struct Lookup: Hashable {
            var kind: DecisionLookup
            var id: String
            var origin: Int64
        }
        var keys: [Lookup: [Int64]] = [:]
        for row in rows {
            DecisionLookup.forEach(user: row.userId, resource: row.resourceId, type: row.resourceType, allowed: row.allowed) { kind, id in
                keys[Lookup(kind: kind, id: id, origin: Int64(row.origin)), default: []].append(row.key)
            }
        }
        var postings: [Posting] = []
        for (lookup, listed) in keys {
            var slice: [Int64] = []
            for key in listed.sorted() {
                if let first = slice.first, key - first > postingsSpan {
                    postings.append(Posting(kind: lookup.kind, id: lookup.id, lastKey: slice.last!, origin: lookup.origin, keys: slice))
                    slice.removeAll(keepingCapacity: true)
                }
                slice.append(key)
            }
            postings.append(Posting(kind: lookup.kind, id: lookup.id, lastKey: slice.last!, origin: lookup.origin, keys: slice))
        }
        return postings
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
            if let lookup = filter.lookup { return try Self.page(filter, through: lookup, connection, logger: logger) }
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

    /// The postings rows of a lookup whose last key is in `[$3, $4)` and, after the first call, before `($5, $6)`, newest
    /// first, `$7` at a time: $1 kind, $2 id.
    static let postingsSQL = """
        SELECT last_key, origin, keys FROM decision_postings
        WHERE kind = $1 AND id = $2 AND last_key >= $3 AND last_key < $4 AND (last_key, origin) < ($5, $6)
        ORDER BY last_key DESC, origin DESC LIMIT $7
        """
    /// How many postings rows a page reads per round trip: a few at first (a row of a common lookup, an outcome or a
    /// type, lists a whole batch's keys), twice as many each time after, up to the most.
    static let postingsPerRead = (first: 4, most: 64)

    /// The entries among the listed keys ($1 keys, $2 origins) that match every filter, newest first.
    static func listedStatement(_ filter: Filter, keys: [Int64], origins: [Int64]) -> (sql: String, binds: PostgresBindings) {
        var conditions = ["(seq, origin) IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))"]
        var binds = PostgresBindings(capacity: 6)
        binds.append(keys)
        binds.append(origins)
        filter.appendConditions(to: &conditions, &binds)
        return ("SELECT \(columns) FROM decisions WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq DESC, origin DESC", binds)
    }

    /// A page led by one filter's postings, as the SQLite file's: rows are read newest first; a listed key is final
    /// once a row's last key is below it (no row covers more than `postingsSpan`, so no later row lists a newer one),
    /// and final keys are read, newest first, and checked against every filter. A full page is completed with the
    /// entries of its last `seq` (other origins'), as `tieStatement` completes the unfiltered one.
    static func page(_ filter: Filter, through lookup: (kind: DecisionLookup, id: String), _ connection: PostgresConnection,
                     logger: Logger) throws -> [Row] {
        struct Listed: Hashable {
            var key: Int64
            var origin: Int64
        }
        guard filter.limit > 0 else { return [] }
        var items: [Row] = []
        var pending: [(key: Int64, origin: Int64)] = []
        var seen = Set<Listed>()
        var after = (lastKey: Int64.max, origin: Int64.max)
        let upper = filter.high > .max - postingsSpan ? Int64.max : filter.high + postingsSpan

        /// Reads the pending keys above `bound` (all with nil), newest first; true once the page is complete.
        func read(above bound: Int64?) throws -> Bool {
            var ready: [(key: Int64, origin: Int64)]
            if let bound {
                ready = pending.filter { $0.key > bound }
                pending.removeAll { $0.key > bound }
            } else {
                (ready, pending) = (pending, [])
            }
            ready.sort { ($0.key, $0.origin) > ($1.key, $1.origin) }
            var start = 0
            while start < ready.count {
                // A page's worth at a time, plus a few: most listed keys match (they were listed for the lead filter).
                let end = min(ready.count, start + max(filter.limit - items.count, 0) + 16)
                let chunk = ready[start..<end]
                let (sql, binds) = listedStatement(filter, keys: chunk.map(\.key), origins: chunk.map(\.origin))
                items += try PostgresSnapshotPool.rows(connection, sql, binds, logger: logger).map(row)
                start = end
                if items.count >= filter.limit {
                    let tie = items[filter.limit - 1].key
                    // Every key still to come is below the last one read: the page is whole once none of them is `tie`.
                    if start == ready.count || ready[start].key < tie {
                        items = Array(items.prefix(filter.limit)) + items.dropFirst(filter.limit).prefix { $0.key == tie }
                        return true
                    }
                }
            }
            return false
        }

        var perRead = postingsPerRead.first
        while true {
            let binds = PostgresBindings.of(Int64(lookup.kind.rawValue), lookup.id, filter.low, upper, after.lastKey, after.origin,
                                            Int64(perRead))
            let rows = try PostgresSnapshotPool.rows(connection, postingsSQL, binds, logger: logger)
            for row in rows {
                var columns = PostgresColumns(row)
                let lastKey: Int64 = try columns.next(), origin: Int64 = try columns.next(), keys: [Int64] = try columns.next()
                after = (lastKey, origin)
                if try read(above: lastKey) { return items }
                for key in keys where key >= filter.low && key < filter.high && seen.insert(Listed(key: key, origin: origin)).inserted {
                    pending.append((key, origin))
                }
            }
            if rows.count < perRead { break }
            perRead = min(perRead * 2, postingsPerRead.most)
        }
        _ = try read(above: nil)
        return items
    }

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
                _ = try run(Self.deletePostingsSQL, .of(key))
                _ = try run("COMMIT")
                return Int(count)
            } catch {
                _ = try? run("ROLLBACK")
                throw error
            }
        }
    }

    static let deleteSQL = "WITH deleted AS (DELETE FROM decisions WHERE seq < $1 RETURNING 1) SELECT count(*) FROM deleted"
    /// The postings rows that list only deleted entries; a row that also lists newer ones stays, and a page reading it
    /// finds its deleted entries gone.
    static let deletePostingsSQL = "DELETE FROM decision_postings WHERE last_key < $1"
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

        /// The filter a page is led by, through its postings: the most selective one set; nil when none is.
        var lookup: (kind: DecisionLookup, id: String)? {
            DecisionLookup.lead(user: userId, resource: resourceId, type: resourceType, allowed: allowed)
        }

        /// Appends `column = $n` for each filter set, with its value as the next bind.
        func appendConditions(to conditions: inout [String], _ binds: inout PostgresBindings) {
            let filters: [(String, (any PostgresBindable)?)] = [("user_id", userId), ("resource_id", resourceId), ("resource_type", resourceType),
                                                                 ("allowed", allowed)]
            for case let (column, value?) in filters {
                value.bind(into: &binds)
                conditions.append("\(column) = $\(binds.count)")
            }
        }
    }
}
