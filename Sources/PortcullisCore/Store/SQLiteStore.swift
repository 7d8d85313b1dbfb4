import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite
import GRDB

/// The SQLite backend: one database file in WAL mode.
///
/// Writes and management reads go through a GRDB `DatabasePool`; decisions read through `SnapshotReaderPool`,
/// raw connections with prepared statements, each decision inside one read transaction.
public final class SQLiteStore: VersionStore, Sendable {
    /// The configuration the store was opened with.
    public let configuration: StoreConfiguration
    /// Told of every committed write, after the commit and before the write returns (the cache applies it).
    let onCommit: @Sendable (Commit) -> Void
    let pool: DatabasePool
    let readers: SnapshotReaderPool
    /// Every statement of the read path with its figures, and the prepared-statement cache's (see `queryReports()`).
    public let queries: QueryRegistry

    /// Opens (creating if needed) the database and applies pending migrations.
    /// - Parameter onCommit: told of every committed write with the dependencies it changed, before the write returns.
    public init(_ configuration: StoreConfiguration, queries: QueryRegistry = QueryRegistry(),
                onCommit: @escaping @Sendable (Commit) -> Void = { _ in }) throws {
        self.configuration = configuration
        self.onCommit = onCommit
        self.queries = queries
        Self.registerStatements(in: queries)
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(Double(configuration.busyTimeoutMilliseconds) / 1000)
        let synchronous = configuration.synchronous.rawValue
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        do {
            pool = try DatabasePool(path: configuration.path, configuration: config)
            try Migrations.migrator.migrate(pool)
        } catch {
            // A migration's own refusal (two users sharing an email) is more useful than "cannot open".
            if let error = error as? PortcullisError { throw error }
            throw PortcullisError(.storeUnavailable, "cannot open database \(configuration.path): \(error)")
        }
        readers = SnapshotReaderPool(
            path: configuration.path, capacity: configuration.readerCapacity, busyTimeoutMilliseconds: Int32(configuration.busyTimeoutMilliseconds),
            registry: queries)
    }

    /// Names of migrations in `schema/` not yet applied to this database.
    public func pendingMigrations() throws -> [String] {
        let applied = try pool.read { db in try Migrations.migrator.appliedIdentifiers(db) }
        return Migrations.all.map(\.name).filter { !applied.contains($0) }
    }

    /// The persisted version of every dependency a write has moved, and the revision they are current for: what a
    /// `VersionClock` loads at start, before anything is served.
    public func persistedVersions() throws -> (versions: [(key: DependencyKey, version: Int64)], revision: Int64) {
        try pool.read { db in
            (try Row.fetchAll(db, sql: "SELECT key, version FROM versions").map { (key: DependencyKey(rawValue: $0[0]), version: $0[1] as Int64) },
             try Int64.fetchOne(db, sql: "SELECT value FROM revision WHERE id = 1") ?? 0)
        }
    }

    /// The random value migration 0011 stored (`VersionStore.databaseIdentity()`).
    public func databaseIdentity() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM database_identity WHERE id = 1") ?? "" }
    }

    /// The current data revision.
    public func revision() throws -> Int64 {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT value FROM revision WHERE id = 1") ?? 0 }
    }

    /// Runs a write transaction that advances the revision, records the changes `body` reports in the change log and
    /// sets the versions of the dependencies it reports it moved, then announces the commit before returning (so before
    /// any response), mapping SQLite failures to the spec's errors.
    ///
    /// The revision advances first, so each change is stored as it is recorded. Who writes (`WriteAttribution`) is read
    /// here, in the caller's task: GRDB runs `body` on its writer queue, where task-locals are not bound.
    ///
    /// The announcement happens after the commit (a reader must never see the new versions before the new data) and
    /// while GRDB's writer is still held, so commits are announced in revision order: `VersionClock.revision` never
    /// passes a revision whose versions are not yet applied.
    func write<T: Sendable>(
        _ body: @Sendable @escaping (Database, inout [DependencyKey], inout ChangeRecorder) throws -> T
    ) async throws -> Written<T> {
        let onCommit = onCommit
        let attribution = WriteAttribution.current
        do {
            return try await pool.writeWithoutTransaction { db in
                var commit: Commit?
                var value: T?
                try db.inTransaction {
                    let revision = try Self.advanceRevision(db)
                    var changes = try Self.changeRecorder(db, revision: revision, attribution: attribution)
                    var changed: [DependencyKey] = []
                    value = try body(db, &changed, &changes)
                    try Self.setVersions(db, changed, revision: revision)
                    commit = Commit(revision: revision, changed: changed, changes: changes.tally)
                    return .commit
                }
                onCommit(commit!)
                return Written(value!, revision: commit!.revision)
            }
        } catch let error as PortcullisError {
            throw error
        } catch {
            throw Self.mapped(error)
        }
    }

    /// A bulk write (import, seed) run synchronously in one transaction: it may add memberships to existing users,
    /// so instead of listing what changed it moves the epoch, and every cached answer goes. Its changes are recorded
    /// like any write's.
    func bulkWrite<T: Sendable>(_ body: (Database, inout ChangeRecorder) throws -> T) throws -> Written<T> {
        let attribution = WriteAttribution.current
        do {
            return try pool.writeWithoutTransaction { db in
                // A large page cache (256 MiB, allocated as used) keeps the one big transaction from spilling pages to
                // the WAL and reading them back as its indexes grow; the writer's usual size returns afterwards.
                let usual = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000
                try db.execute(sql: "PRAGMA cache_size = -262144")
                defer { try? db.execute(sql: "PRAGMA cache_size = \(usual)") }
                var commit: Commit?
                var value: T?
                try db.inTransaction {
                    let revision = try Self.advanceRevision(db)
                    // Empty tables get their secondary indexes built once, at the end (SQLiteStore+BulkIndexes).
                    let deferred = try Self.deferIndexes(db)
                    // Its creates and updates are stored without `after`, derived on read (SQLiteStore+DerivedAfter).
                    var changes = try Self.changeRecorder(db, revision: revision, attribution: attribution, derivesAfter: true)
                    value = try body(db, &changes)
                    try Self.restoreIndexes(db, deferred)
                    try Self.setVersions(db, [.epoch], revision: revision)
                    commit = Commit(revision: revision, changed: [.epoch], changes: changes.tally)
                    return .commit
                }
                // After the commit, under the writer: in revision order (see `write`).
                onCommit(commit!)
                return Written(value!, revision: commit!.revision)
            }
        } catch let error as PortcullisError {
            throw error
        } catch {
            throw Self.mapped(error)
        }
    }

    static func setVersions(_ db: Database, _ keys: [DependencyKey], revision: Int64) throws {
        for key in keys {
            try db.cachedStatement(sql: "INSERT INTO versions (key, version) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET version = excluded.version")
                .execute(arguments: [key.rawValue, revision])
        }
    }

    /// Marks a user's cached answers stale (their version moves to a new revision); no cache is scanned.
    @discardableResult
    public func invalidateUser(_ userId: String) async throws -> Int64 {
        try await write { _, changed, _ in changed.append(.user(userId)) }.revision
    }

    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let error as PortcullisError {
            throw error
        } catch {
            throw Self.mapped(error)
        }
    }

    static func advanceRevision(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "UPDATE revision SET value = value + 1 WHERE id = 1 RETURNING value") ?? 0
    }

    static func mapped(_ error: any Error) -> PortcullisError {
        if let error = error as? DatabaseError {
            switch error.extendedResultCode {
            case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY:
                return PortcullisError(.conflict, "already exists")
            case .SQLITE_CONSTRAINT_FOREIGNKEY:
                return PortcullisError(.unknownReference, "a referenced id does not exist")
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return PortcullisError(.storeBusy, "the database is busy; retry")
            default:
                return PortcullisError(.storeError, "database error: \(error.message ?? "\(error.resultCode)")")
            }
        }
        return PortcullisError(.storeError, "\(error)")
    }
}
