import Logging
import NIOCore
import PortcullisModel
import PortcullisStore
import PostgresNIO

/// Copies a SQLite appliance's data into an empty PostgreSQL database (`portcullis migrate`, SPEC 8.4), revision
/// included, in one transaction: all of it or, on any failure, nothing.
///
/// Every table of the SQLite schema that holds state is copied row for row, values as they are (password and key
/// hashes, soft-deleted rows, time bounds, the change log with its revisions, `versions`), ids in byte order; the
/// singletons (the revision, the change log's horizon, the time-bound sweep's watermark) take the source's values;
/// and a `commit_log` row for the copied revision, with the keys it moved, lets every node's `PostgresChangeFeed`
/// start from it. A source table this build does not know stops the copy, so nothing is dropped unnoticed.
///
/// The target must be empty — no directory row, API key, session, change or version, revision 0 — which a node
/// started on the database would already break (it writes its environment admin key): copy first, then start nodes.
///
/// ```swift
/// let store = try PostgresStore(try PostgresConfiguration(url: "postgres://portcullis@db/portcullis"))
/// let summary = try SQLiteTableSnapshot.read(path: "data/portcullis.sqlite") { try SQLiteToPostgresCopy.run(from: $0, into: store) }
/// print(summary.revision)
/// ```
///
/// It blocks the calling thread (the synchronous `PostgresSnapshotPool` path), so it must run off the event loops and
/// is best run off Swift's cooperative pool, like `importRecords`.
public enum SQLiteToPostgresCopy {
    /// What a copy wrote.
    public struct Summary: Sendable {
        /// Rows copied per table, in copy order (the singletons and role grants included).
        public var rows: [(table: String, count: Int)]
        /// The revision the target now has: the source's.
        public var revision: Int64
    }

    /// A column's PostgreSQL type, which decides how a SQLite value binds to it.
    enum Kind: String {
        case text, bigint, boolean, bytea
    }

    /// One copied table: its columns (the same names on both schemas) and the key the rows are read in.
    struct Table {
        var name: String
        var columns: [(name: String, kind: Kind)]
        var key: [String]
    }

    /// The tables copied row for row, parents before children (foreign keys hold at every insert). Compare
    /// schema/*.sql with schema/postgres/*.sql when either changes: `singletons`, `roleGrants` and `ignored` name the rest.
    static let tables: [Table] = [
        Table(name: "users", columns: [("id", .text), ("email", .text), ("display_name", .text), ("password_hash", .text),
                                       ("is_admin", .boolean), ("status", .text), ("created_at", .text), ("deleted_at", .text)],
              key: ["id"]),
        Table(name: "teams", columns: [("id", .text), ("name", .text), ("owner_id", .text), ("created_at", .text), ("deleted_at", .text)],
              key: ["id"]),
        Table(name: "team_members", columns: [("team_id", .text), ("user_id", .text), ("role", .text), ("permissions", .text),
                                              ("is_active", .boolean), ("created_at", .text), ("starts_at", .bigint), ("expires_at", .bigint)],
              key: ["team_id", "user_id"]),
        Table(name: "projects", columns: [("id", .text), ("name", .text), ("owner_id", .text), ("team_id", .text), ("visibility", .text),
                                          ("created_at", .text), ("deleted_at", .text)],
              key: ["id"]),
        Table(name: "generations", columns: [("id", .text), ("owner_id", .text), ("project_id", .text), ("status", .text),
                                             ("media_key", .text), ("created_at", .text), ("deleted_at", .text)],
              key: ["id"]),
        Table(name: "api_keys", columns: [("id", .text), ("name", .text), ("key_hash", .bytea), ("scopes", .text), ("created_at", .text),
                                          ("expires_at", .bigint), ("source", .text), ("last_used_at", .text)],
              key: ["id"]),
        Table(name: "user_tokens", columns: [("token_hash", .bytea), ("user_id", .text), ("created_at", .text), ("expires_at", .bigint)],
              key: ["token_hash"]),
        Table(name: "versions", columns: [("key", .text), ("version", .bigint)], key: ["key"]),
        Table(name: "change_revisions", columns: [("revision", .bigint), ("at", .text), ("actor_kind", .text), ("actor_id", .text),
                                                  ("request_id", .text)],
              key: ["revision"]),
        Table(name: "changes", columns: [("revision", .bigint), ("seq", .bigint), ("entity", .text), ("entity_id", .text), ("op", .text),
                                         ("before", .text), ("after", .text)],
              key: ["revision", "seq"]),
    ]

    /// One-row tables (`id = 1`) whose value the target takes: (table, column).
    static let singletons: [(table: String, column: String)] = [
        ("revision", "value"), ("change_horizon", "revision"), ("time_bound_sweep", "swept_until"),
    ]

    /// Seeded alike by both schemas, and replaced by the source's rows so the copy holds whatever the source holds.
    static let roleGrants = Table(name: "role_grants", columns: [("role", .text), ("resource_type", .text), ("action", .text)],
                                  key: ["role", "resource_type", "action"])

    /// Source tables that hold no data to copy: SQLite's migration bookkeeping (PostgreSQL keeps its own), and the
    /// database's identity (the target has its own: node caches built beside the SQLite file start over).
    static let ignored: Set<String> = ["grdb_migrations", "database_identity"]

    /// At most this many bound values per statement (PostgreSQL's limit is 65,535), and at most 5,000 rows.
    static let maximumBindings = 60_000

    /// Copies everything `source` holds into `store`'s database in one transaction.
    /// - Returns: the rows copied per table and the revision.
    /// - Throws: `conflict` when the target is not empty (naming what it holds) or the source has a table this build
    ///   does not copy; the mapped PostgreSQL error (with the table) when a row is refused. Nothing is written then.
    public static func run(from source: some TableRowSource, into store: PostgresStore) throws -> Summary {
        let unknown = Set(try source.tableNames()).subtracting(tables.map(\.name) + singletons.map(\.table) + [roleGrants.name])
            .subtracting(ignored).sorted()
        guard unknown.isEmpty else {
            throw PortcullisError(.conflict, "the source holds tables this build does not copy: \(unknown.joined(separator: ", ")); "
                + "migrate with the Portcullis that wrote it")
        }
        let logger = store.logger
        do {
            return try store.gate.runBlocking {
                try store.readers.withConnection { connection in
                    _ = try PostgresSnapshotPool.rows(connection, "BEGIN", PostgresBindings(), logger: logger)
                    do {
                        let summary = try copy(source, connection, channel: store.channel, logger: logger)
                        _ = try PostgresSnapshotPool.rows(connection, "COMMIT", PostgresBindings(), logger: logger)
                        return summary
                    } catch {
                        _ = try? PostgresSnapshotPool.rows(connection, "ROLLBACK", PostgresBindings(), logger: logger)
                        throw error
                    }
                }
            }
        } catch {
            throw PostgresStore.mapped(error)
        }
    }

    private static func copy(_ source: some TableRowSource, _ connection: PostgresConnection, channel: String, logger: Logger) throws
        -> Summary
    {
        let run = { (sql: String, binds: PostgresBindings) throws -> [PostgresRow] in
            try PostgresSnapshotPool.rows(connection, sql, binds, logger: logger)
        }
        // The revision row's lock first: a write on any node takes it before anything else, so none commits while the
        // target is checked and filled.
        _ = try run("SELECT value FROM revision WHERE id = 1 FOR UPDATE", PostgresBindings())
        try requireEmpty(run)

        var summary = Summary(rows: [], revision: 0)
        var finalKeys: [(key: String, version: Int64)] = []
        for table in tables {
            let count = try insertAll(table, from: source, run) { row in
                if table.name == "versions", case .text(let key) = row[0], case .integer(let version) = row[1] {
                    finalKeys.append((key, version))
                }
            }
            summary.rows.append((table.name, count))
        }
        _ = try run("DELETE FROM role_grants", PostgresBindings())
        summary.rows.append((roleGrants.name, try insertAll(roleGrants, from: source, run) { _ in }))

        for singleton in singletons {
            var value: Int64?
            try source.forEachBatch(of: singleton.table, columns: [singleton.column], orderedBy: [], batchSize: 2) { rows in
                guard rows.count == 1, case .integer(let integer) = rows[0][0] else {
                    throw PortcullisError(.storeError, "the source's \(singleton.table) table does not hold one number")
                }
                value = integer
            }
            guard let value else { throw PortcullisError(.storeError, "the source's \(singleton.table) row is missing") }
            _ = try run("UPDATE \(singleton.table) SET \(singleton.column) = $1 WHERE id = 1", .of(value))
            summary.rows.append((singleton.table, 1))
            if singleton.table == "revision" { summary.revision = value }
        }

        // The copied revision in the commit log, with the keys it moved: a node's feed reads its way on from there.
        if summary.revision > 0 {
            let keys = finalKeys.filter { $0.version == summary.revision }.map { DependencyKey(rawValue: $0.key) }
            try PostgresStore.publishBlocking(connection, revision: summary.revision, keys: keys, channel: channel, logger: logger)
            summary.rows.append(("commit_log", 1))
        }
        return summary
    }

    /// Refuses a target that holds anything a copy would merge with, naming what it found.
    private static func requireEmpty(_ run: (String, PostgresBindings) throws -> [PostgresRow]) throws {
        let counted = tables.map(\.name) + ["commit_log"]
        let sql = "SELECT (SELECT value FROM revision WHERE id = 1), "
            + counted.map { "(SELECT count(*) FROM \($0))" }.joined(separator: ", ")
        guard let row = try run(sql, PostgresBindings()).first else { throw PortcullisError(.storeError, "the revision row is missing") }
        var columns = PostgresColumns(row)
        let revision: Int64 = try columns.next()
        var found: [String] = []
        for table in counted {
            let count: Int64 = try columns.next()
            if count > 0 { found.append("\(count) \(table) rows") }
        }
        if revision > 0 { found.append("revision \(revision)") }
        guard found.isEmpty else {
            throw PortcullisError(.conflict, "the target database is not empty (\(found.joined(separator: ", "))); "
                + "migrate into a new database, or drop this one's data first. Nothing was changed")
        }
    }

    /// Inserts every row of `table` from `source` in multi-row statements; returns how many.
    private static func insertAll(_ table: Table, from source: some TableRowSource, _ run: (String, PostgresBindings) throws -> [PostgresRow],
                                  each: ([TableValue]) -> Void) throws -> Int {
        let batchSize = min(5_000, maximumBindings / table.columns.count)
        var count = 0
        var statements: [Int: String] = [:]
        do {
            try source.forEachBatch(of: table.name, columns: table.columns.map(\.name), orderedBy: table.key, batchSize: batchSize) { rows in
                var binds = PostgresBindings(capacity: rows.count * table.columns.count)
                for row in rows {
                    each(row)
                    for (value, column) in zip(row, table.columns) {
                        try bind(value, as: column.kind, into: &binds, column: "\(table.name).\(column.name)")
                    }
                }
                let sql = statements[rows.count] ?? insertSQL(table, rows: rows.count)
                statements[rows.count] = sql
                _ = try run(sql, binds)
                count += rows.count
            }
        } catch {
            let mapped = PostgresStore.mapped(error)
            throw PortcullisError(mapped.code, "copying \(table.name): \(mapped.message)")
        }
        return count
    }

    /// `INSERT INTO t (a, b) VALUES ($1::text, $2::bigint), ($3::text, $4::bigint)…` for `rows` rows.
    static func insertSQL(_ table: Table, rows: Int) -> String {
        var sql = "INSERT INTO \(table.name) (\(table.columns.map(\.name).joined(separator: ", "))) VALUES "
        var parameter = 0
        for row in 0..<rows {
            sql += row == 0 ? "(" : ", ("
            for (index, column) in table.columns.enumerated() {
                parameter += 1
                sql += (index == 0 ? "$" : ", $") + String(parameter) + "::" + column.kind.rawValue
            }
            sql += ")"
        }
        return sql
    }

    /// Binds a SQLite value to a column of `kind`: 0/1 flags as booleans, blobs as bytea, the rest as they are.
    static func bind(_ value: TableValue, as kind: Kind, into binds: inout PostgresBindings, column: String) throws {
        switch (kind, value) {
        case (_, .null): binds.appendNull()
        case (.text, .text(let text)): binds.append(text)
        case (.bigint, .integer(let integer)): binds.append(integer)
        case (.boolean, .integer(let integer)): binds.append(integer != 0)
        case (.bytea, .blob(let bytes)): binds.append(ByteBuffer(bytes: bytes))
        default:
            throw PortcullisError(.storeError, "\(column) holds \(value), which a \(kind.rawValue) column cannot take")
        }
    }
}
