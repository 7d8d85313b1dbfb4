import PortcullisModel
import PortcullisStore
import PostgresNIO

/// What a starting process and the monitor read: the persisted versions, the revision, the database's size.
extension PostgresStore: VersionStore, StoreDiagnostics {
    /// Every persisted dependency version and the revision they are current for, from one snapshot.
    public func persistedVersions() throws -> (versions: [(key: DependencyKey, version: Int64)], revision: Int64) {
        let logger = logger
        return try readers.withConnection { connection in
            try Self.inReadTransaction(connection, logger: logger) {
                let versions = try PostgresSnapshotPool.rows(connection, "SELECT key, version FROM versions", PostgresBindings(), logger: logger)
                    .map { row in
                        var columns = PostgresColumns(row)
                        return (key: DependencyKey(rawValue: try columns.next(String.self)), version: try columns.next(Int64.self))
                    }
                let revision = try PostgresSnapshot(connection: connection, logger: logger).revision()
                return (versions, revision)
            }
        }
    }

    /// The random value migration 0005 stored, and the OID of its table: a database restored from a dump (pg_restore
    /// makes its tables anew) is another history, whose revisions repeat the old one's numbers (`VersionStore`).
    public func databaseIdentity() throws -> String {
        let logger = logger
        return try readers.withConnection { connection in
            let rows = try PostgresSnapshotPool.rows(connection, """
                SELECT value || '/' || 'database_identity'::regclass::oid::text FROM database_identity WHERE id = 1
                """, PostgresBindings(), logger: logger)
            guard let row = rows.first else { throw PortcullisError(.storeError, "the database_identity row is missing") }
            var columns = PostgresColumns(row)
            return try columns.next(String.self)
        }
    }

    /// The current data revision.
    public func revision() throws -> Int64 {
        let logger = logger
        return try readers.withConnection { connection in try PostgresSnapshot(connection: connection, logger: logger).revision() }
    }

    /// No statement figures yet: the query registry times SQLite's prepared statements only (docs/scaling.md).
    public func statements() -> StatementsReport {
        StatementsReport(queries: [], statementCache: Self.noStatementCache, recommendations: [])
    }

    /// No statement figures yet (see `statements()`).
    public func statementFigures() -> StatementFiguresReport {
        StatementFiguresReport(statements: [], statementCache: Self.noStatementCache)
    }

    /// An empty statement cache: PostgreSQL prepares this backend's statements per connection, unseen by the registry.
    private static let noStatementCache = StatementCacheReport(capacity: 0, size: 0, hits: 0, misses: 0, evictions: 0, hitRate: 0)

    /// The database's size (`pg_database_size`); no log file of this process's to report. Nil when it cannot be read.
    public func storageBytes() -> (database: Int?, log: Int?) {
        let logger = logger
        let size = try? readers.withConnection { connection -> Int? in
            let rows = try PostgresSnapshotPool.rows(connection, "SELECT pg_database_size(current_database())", PostgresBindings(), logger: logger)
            guard let row = rows.first else { return nil }
            var columns = PostgresColumns(row)
            return Int(try columns.next(Int64.self))
        }
        return (size ?? nil, nil)
    }
}
