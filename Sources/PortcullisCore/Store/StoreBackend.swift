import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite

/// Opens the configured backend and hands it out as the protocols only: the composition root, the monitor and the
/// controllers never name a backend type. SQLite is the embedded default; `MemoryStore` serves tests.
public enum StoreBackend {
    /// Opens (creating and migrating if needed) the store `configuration` names.
    /// - Parameters:
    ///   - queries: where the backend registers and times its read statements (the monitor reads it).
    ///   - onCommit: told of every committed write, before the write returns (the cache's versions apply it).
    /// - Throws: `store_unavailable` when the database cannot be opened or a migration fails.
    ///
    /// ```swift
    /// let versions = VersionClock()
    /// let store = try StoreBackend.open(StoreConfiguration(path: "/var/lib/portcullis/portcullis.sqlite"), onCommit: versions.apply)
    /// versions.load(try store.persistedVersions())
    /// let engine = AuthorizationEngine(store: store, cache: try DecisionCache(versions: versions, file: nil))
    /// ```
    public static func open(_ configuration: StoreConfiguration, queries: QueryRegistry = QueryRegistry(),
                            onCommit: @escaping @Sendable (Commit) -> Void) throws -> any Store {
        try SQLiteStore(configuration, queries: queries, onCommit: onCommit)
    }

    /// A fresh, empty in-memory store (`MemoryStore`), for tests and experiments only: nothing is written to disk, so
    /// nothing survives the process, and it reports no statements or storage to the monitor.
    /// - Parameters:
    ///   - clock: what its timestamps and token sweeps read (default: the system clock).
    ///   - onCommit: told of every committed write, before the write returns.
    public static func memory(clock: WallClock = .system, onCommit: @escaping @Sendable (Commit) -> Void = { _ in }) -> any Store {
        MemoryStore(clock: clock, onCommit: onCommit)
    }
}
