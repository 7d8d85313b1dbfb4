import PortcullisPostgres
import PortcullisSQLite
import PortcullisStore

/// Which backend holds the data (`storage.backend`, SPEC 8.4) and how to open it.
public enum StorageSelection: Sendable {
    /// The embedded default: one SQLite file in the data directory.
    case sqlite(StoreConfiguration)
    /// A PostgreSQL database that several nodes may share.
    case postgres(PostgresConfiguration)

    /// The `storage.backend` value of this selection.
    public var backendName: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres: "postgres"
        }
    }
}

extension StoreBackend {
    /// Opens (creating and migrating if needed) the backend `selection` names.
    /// - Parameters:
    ///   - queries: where the SQLite backend registers and times its read statements (PostgreSQL reports none yet).
    ///   - onCommit: told of every committed write, before the write returns.
    /// - Throws: `store_unavailable` when the database cannot be reached, `migration_failed` when a migration fails.
    ///
    /// ```swift
    /// let store = try StoreBackend.open(.postgres(try PostgresConfiguration(url: url)), onCommit: versions.apply)
    /// ```
    public static func open(_ selection: StorageSelection, queries: QueryRegistry = QueryRegistry(),
                            onCommit: @escaping @Sendable (Commit) -> Void) throws -> any Store {
        switch selection {
        case .sqlite(let configuration): try open(configuration, queries: queries, onCommit: onCommit)
        case .postgres(let configuration): try PostgresStore(configuration, onCommit: onCommit)
        }
    }
}
