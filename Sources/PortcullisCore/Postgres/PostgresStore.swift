import Logging
import NIOCore
import NIOPosix
import PortcullisModel
import PortcullisPolicy
import PortcullisStore
import PostgresNIO
import Synchronization

/// The PostgreSQL backend (SPEC 8.4): the store protocols on a database several nodes can share.
///
/// Writes and management reads go through a `PostgresClient` (a pool of at most
/// `PostgresConfiguration.maximumConnections`); decisions, whose protocol is synchronous, read through
/// `PostgresSnapshotPool`, which waits for NIO futures and refuses to run on an event-loop thread. Every write runs in
/// one transaction that advances the revision, records its changes and sets the versions of what it moved, exactly
/// as `SQLiteStore` does, and announces its `Commit` before returning.
///
/// ```swift
/// let versions = VersionClock()
/// let store = try PostgresStore(try PostgresConfiguration(url: "postgres://portcullis@db/portcullis?sslmode=verify-full"),
///                               onCommit: versions.apply)
/// versions.load(try store.persistedVersions())
/// ```
public final class PostgresStore: Sendable {
    /// The configuration the store was opened with.
    public let configuration: PostgresConfiguration
    /// Told of every committed write, after the commit and before the write returns (the cache applies it).
    let onCommit: @Sendable (Commit) -> Void
    let client: PostgresClient
    let readers: PostgresSnapshotPool
    /// Decision reads for the fast path, one connection per event loop (`PostgresLoopReader`).
    public let loopReader: PostgresLoopReader
    /// The asynchronous decision reads' own pool (`readerCapacity` connections): they never queue behind writes.
    let decisionClient: PostgresClient
    let logger: Logger
    let gate = PostgresWriteGate()
    /// Where this store's writes announce their commits (`PostgresChangeFeed` listens there).
    let channel: String
    /// What a write awaits after its commit, before it returns (`awaitAfterEveryCommit`).
    let commitBarrier = CommitBarrier()
    /// The client's connection pool runs as long as this task; cancelled when the store goes.
    private let clientRun: Task<Void, Never>
    private let decisionClientRun: Task<Void, Never>

    /// Connects, applies pending migrations (`PostgresMigrations`) and starts the write pool.
    /// - Parameters:
    ///   - onCommit: told of every committed write with the dependencies it changed, before the write returns.
    ///   - logger: where PostgresNIO logs connection events.
    /// - Throws: `invalid_config` for an unusable schema name, `store_unavailable` when the database cannot be
    ///   reached, `migration_failed` when a migration fails (nothing is applied then).
    public init(_ configuration: PostgresConfiguration, onCommit: @escaping @Sendable (Commit) -> Void = { _ in },
                logger: Logger = Logger(label: "portcullis.postgres")) throws {
        if let schema = configuration.schema {
            let allowed = schema.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
            guard allowed, let first = schema.utf8.first, !(0x30...0x39).contains(first), schema.utf8.count <= 63 else {
                throw PortcullisError(.invalidConfig, "postgres schema '\(schema)': use lowercase letters, digits and _ (not first a digit)")
            }
        }
        guard configuration.maximumConnections >= 1, configuration.readerCapacity >= 1 else {
            throw PortcullisError(.invalidConfig, "postgres: maximumConnections and readerCapacity must be at least 1")
        }
        self.configuration = configuration
        self.onCommit = onCommit
        self.logger = logger
        channel = Self.channel(schema: configuration.schema)
        let eventLoops = MultiThreadedEventLoopGroup.singleton
        let connection: PostgresConnection.Configuration
        do {
            connection = try configuration.connectionConfiguration()
        } catch {
            throw PortcullisError(.invalidConfig, "postgres TLS settings: \(error)")
        }
        readers = PostgresSnapshotPool(configuration: connection, capacity: configuration.readerCapacity, eventLoops: eventLoops, logger: logger)
        loopReader = PostgresLoopReader(configuration: connection, logger: logger)
        let schema = configuration.schema
        _ = try readers.withConnection { connection in
            try PostgresMigrations.apply(on: connection, schema: schema, logger: logger)
        }
        let client = PostgresClient(configuration: configuration.clientConfiguration, eventLoopGroup: eventLoops, backgroundLogger: logger)
        self.client = client
        clientRun = Task { await client.run() }
        var decisionConfiguration = configuration.clientConfiguration
        decisionConfiguration.options.maximumConnections = configuration.readerCapacity
        let decisionClient = PostgresClient(configuration: decisionConfiguration, eventLoopGroup: eventLoops, backgroundLogger: logger)
        self.decisionClient = decisionClient
        decisionClientRun = Task { await decisionClient.run() }
    }

    deinit { close() }

    /// Closes every connection the store holds (its pools', the synchronous readers' and the event loops'); later calls fail with
    /// `store_unavailable`. A server calls it once it has stopped serving (`ServingStore`); deinit calls it too.
    public func close() {
        clientRun.cancel()
        decisionClientRun.cancel()
        readers.close()
        loopReader.close()
    }

    /// Makes every later write await `barrier` with its revision after it commits and before it returns: a node
    /// whose change feed applies commits (rather than `onCommit`) waits there until the feed has applied its own
    /// write, so the write's caller reads it back from this node's caches at once.
    ///
    /// ```swift
    /// store.awaitAfterEveryCommit { revision in _ = await feed.waitUntilApplied(revision, timeout: .seconds(1)) }
    /// ```
    public func awaitAfterEveryCommit(_ barrier: @escaping @Sendable (Int64) async -> Void) {
        commitBarrier.set(barrier)
    }

    // MARK: Writes

    /// Runs a write transaction that advances the revision, records the changes `body` reports in the change log,
    /// sets the versions of the dependencies it reports it moved and publishes the commit to the other nodes
    /// (`commit_log` and a notification), then announces the commit before returning.
    ///
    /// The revision advances first (`UPDATE revision … RETURNING`), which takes the revision row's lock until the
    /// commit: writes of every node serialize there and commit in revision order. `PostgresWriteGate` keeps this
    /// node's announcements in that order too. Who writes (`WriteAttribution`) is read in the caller's task.
    func write<T: Sendable>(
        _ body: @escaping (PostgresConnection, inout [DependencyKey], inout ChangeRecorder) async throws -> T
    ) async throws -> Written<T> {
        let attribution = WriteAttribution.current
        let logger = logger
        let onCommit = onCommit
        let channel = channel
        let written: Written<T>
        do {
            // Bounded (`boundedConnection`): a write whose connection dies under it fails and releases the gate
            // rather than holding every later write of the node behind it.
            written = try await gate.run {
                try await boundedConnection(within: Self.writeDeadline, "write", { connection in
                    try await Self.execute(connection, "BEGIN", logger: logger)
                    do {
                        let revision = try await Self.advanceRevision(connection, logger: logger)
                        let recorded = RecordedChanges()
                        var changes = ChangeRecorder(revision: revision, at: WallClock.system.timestamp(), attribution: attribution) { change in
                            recorded.items.append(change)
                        }
                        var changed: [DependencyKey] = []
                        let value = try await body(connection, &changed, &changes)
                        try await Self.insertChanges(connection, recorded.items, attribution: attribution, at: changes.at, logger: logger)
                        try await Self.setVersions(connection, changed, revision: revision, logger: logger)
                        try await Self.publish(connection, revision: revision, keys: changed, channel: channel, logger: logger)
                        try await Self.execute(connection, "COMMIT", logger: logger)
                        return Committed(written: Written(value, revision: revision),
                                         commit: Commit(revision: revision, changed: changed, changes: changes.tally))
                    } catch {
                        // Not on a closed connection: a statement sent there may never complete (and the server has
                        // rolled the transaction back already).
                        if !connection.isClosed { try? await Self.execute(connection, "ROLLBACK", logger: logger) }
                        throw error
                    }
                }, announce: { committed in onCommit(committed.commit) }).written
            }
        } catch {
            throw Self.mapped(error)
        }
        // Outside the write gate and the connection: waiting holds neither.
        await commitBarrier.wait(written.revision)
        return written
    }

    /// Runs a management read on a pooled connection (no transaction: one statement, or reads whose mix is harmless),
    /// bounded like a write (`boundedConnection`).
    func read<T: Sendable>(_ body: @escaping (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await boundedConnection(within: Self.readDeadline, "read", body)
        } catch {
            throw Self.mapped(error)
        }
    }

    static func advanceRevision(_ connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let rows = try await query(connection, "UPDATE revision SET value = value + 1 WHERE id = 1 RETURNING value", logger: logger)
        guard let row = rows.first else { throw PortcullisError(.storeError, "the revision row is missing") }
        return try row.decode(Int64.self)
    }

    static func setVersions(_ connection: PostgresConnection, _ keys: [DependencyKey], revision: Int64, logger: Logger) async throws {
        guard !keys.isEmpty else { return }
        // One row per key: a write may name a key twice (two bounds of one member), and one INSERT … ON CONFLICT may
        // not update a row twice.
        var seen = Set<String>()
        let unique = keys.map(\.rawValue).filter { seen.insert($0).inserted }
        var binds = PostgresBindings()
        binds.append(unique)
        binds.append(revision)
        try await execute(connection, """
            INSERT INTO versions (key, version) SELECT k, $2 FROM unnest($1::text[]) AS k
            ON CONFLICT (key) DO UPDATE SET version = excluded.version
            """, binds, logger: logger)
    }

    // MARK: Statements

    /// Runs `sql` with `binds` and collects its rows.
    static func query(_ connection: PostgresConnection, _ sql: String, _ binds: PostgresBindings = PostgresBindings(), logger: Logger)
        async throws -> [PostgresRow]
    {
        var rows: [PostgresRow] = []
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) {
            rows.append(row)
        }
        return rows
    }

    /// Runs `sql` with `binds`, ignoring any rows.
    static func execute(_ connection: PostgresConnection, _ sql: String, _ binds: PostgresBindings = PostgresBindings(), logger: Logger)
        async throws
    {
        _ = try await query(connection, sql, binds, logger: logger)
    }

    // MARK: Errors

    /// The spec's error for a PostgreSQL failure: constraint violations as 409/422, contention as `store_busy`, a
    /// lost or refused connection or a server shutting down or starting as `store_unavailable`, anything else
    /// `store_error`.
    static func mapped(_ error: any Error) -> PortcullisError {
        if let error = error as? PortcullisError { return error }
        if let error = error as? PSQLError {
            switch error.code {
            case .server:
                switch error.serverInfo?[.sqlState] {
                case "23505": return PortcullisError(.conflict, "already exists")
                case "23503": return PortcullisError(.unknownReference, "a referenced id does not exist")
                case "40001", "40P01", "55P03", "57014": return PortcullisError(.storeBusy, "the database is busy; retry")
                // The server shutting down, starting up or ending the connection (a restart, a failover).
                case "57P01", "57P02", "57P03", "08000", "08003", "08006":
                    return PortcullisError(.storeUnavailable, "PostgreSQL is unavailable: \(describe(error))")
                default: return PortcullisError(.storeError, "database error: \(describe(error))")
                }
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown, .sslUnsupported,
                 .failedToAddSSLHandler, .authMechanismRequiresPassword, .unsupportedAuthMechanism, .saslError:
                return PortcullisError(.storeUnavailable, "PostgreSQL is unavailable: \(describe(error))")
            default:
                return PortcullisError(.storeError, "database error: \(describe(error))")
            }
        }
        return PortcullisError(.storeError, "\(error)")
    }

    /// A short description of a PostgreSQL error: the server's SQLSTATE and message when there is one, never a
    /// query's bound values.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] {
            return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))"
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }
}

/// A write's outcome once its transaction committed: what it returns and what it announces.
private struct Committed<T: Sendable>: Sendable {
    var written: Written<T>
    var commit: Commit
}

/// The changes one write records, kept until they are inserted at the end of its transaction.
private final class RecordedChanges {
    var items: [Change] = []
}

/// The hook `awaitAfterEveryCommit` sets; none until then.
final class CommitBarrier: Sendable {
    private let barrier = Mutex<(@Sendable (Int64) async -> Void)?>(nil)

    func set(_ body: @escaping @Sendable (Int64) async -> Void) { barrier.withLock { $0 = body } }

    func wait(_ revision: Int64) async {
        guard let body = barrier.withLock({ $0 }) else { return }
        await body(revision)
    }
}
