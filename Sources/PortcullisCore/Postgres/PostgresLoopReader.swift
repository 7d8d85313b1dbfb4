import Logging
import NIOCore
import PortcullisModel
import PortcullisStore
import PostgresNIO
import Synchronization

/// Decision reads for a caller on an event loop (the HTTP fast path), and the consistency gate's revision reads: each
/// event loop has one connection of its own, opened on that loop, with the three decision statements and the revision
/// read prepared on it (PostgresNIO's `PreparedQuery`, whose `EventLoopFuture`s complete on the connection's loop; its
/// prepared statements of `PostgresPreparedStatement` are for `async` callers only). A read is written to the socket
/// by the loop that asks for it and its answer completes on that loop, so an uncached check costs the database's
/// round trip and no thread or task hop (docs/scaling.md, "Uncached checks"), and so does a round of the gate.
///
/// A loop whose connection is not ready (the first read, after the database closed it, while it reconnects) answers
/// nil at once and starts connecting; the caller then takes the asynchronous path (`decisionFacts(asynchronously:)`,
/// the pool's revision read), which gives every error. A read that does not complete within its limit
/// (`PostgresSnapshotPool.statementTimeout` for decisions, the gate's wait for revisions) fails with
/// `store_unavailable`, and its connection is closed and replaced.
///
/// ```swift
/// if let facts = store.loopReader.facts(request, on: context.eventLoop) {
///     facts.whenComplete { result in /* on the same loop */ }
/// }
/// ```
public final class PostgresLoopReader: Sendable {
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let lanes = Mutex<[ObjectIdentifier: Lane]>([:])
    private let closed = Atomic<Bool>(false)
    private let nextId = Atomic<Int>(0)

    /// The `application_name` of its connections, as `pg_stat_activity` shows them.
    public static let applicationName = "portcullis event-loop reader"

    init(configuration: PostgresConnection.Configuration, logger: Logger) {
        var configuration = configuration
        configuration.options.additionalStartupParameters.append(("application_name", Self.applicationName))
        self.configuration = configuration
        self.logger = logger
    }

    /// The facts of `request` read on `loop`'s connection, completing on `loop`; nil when that connection is not ready
    /// (it is being opened). Call it on `loop`.
    public func facts(_ request: CheckRequest, on loop: any EventLoop) -> EventLoopFuture<DecisionFacts>? {
        guard !closed.load(ordering: .relaxed) else { return nil }
        return lane(on: loop).read(request, reader: self)
    }

    /// Closes every loop's connection; later reads answer nil.
    func close() {
        closed.store(true, ordering: .sequentiallyConsistent)
        for lane in lanes.withLock({ $0.values }) { lane.loop.execute { lane.close() } }
    }

    /// The database's current revision, read on `loop`'s connection by a statement sent now, completing on `loop`
    /// within `limit`; nil when that connection is not ready. Call it on `loop`. The consistency gate's proof
    /// (`PostgresStore.readRevisionForGate`).
    public func revision(on loop: any EventLoop, within limit: TimeAmount) -> EventLoopFuture<Int64>? {
        guard !closed.load(ordering: .relaxed) else { return nil }
        return lane(on: loop).readRevision(within: limit, reader: self)
    }

    private func lane(on loop: any EventLoop) -> Lane {
        lanes.withLock { lanes in
            if let lane = lanes[ObjectIdentifier(loop)] { return lane }
            let lane = Lane(loop: loop, logger: logger)
            lanes[ObjectIdentifier(loop)] = lane
            return lane
        }
    }

    /// A connection on `loop` with its statements prepared: the decision statements and the revision read.
    fileprivate func connect(on loop: any EventLoop) -> EventLoopFuture<(PostgresConnection, Lane.Statements)> {
        let id = nextId.add(1, ordering: .relaxed).newValue
        return PostgresConnection.connect(on: loop, configuration: configuration, id: id, logger: logger).flatMap { connection in
            let decisions = ResourceType.allCases.map { type in connection.prepare(query: Lane.sql(type)).map { (type, $0) } }
            return EventLoopFuture.whenAllSucceed(decisions, on: loop)
                .and(connection.prepare(query: PostgresAuthorizationQueries.revision))
                .map { decisions, revision in (connection, Lane.Statements(decide: Dictionary(uniqueKeysWithValues: decisions), revision: revision)) }
                .flatMapErrorThrowing { error in
                    PostgresSnapshotPool.close(connection)
                    throw error
                }
        }
    }

    fileprivate var isClosed: Bool { closed.load(ordering: .relaxed) }
}

/// One event loop's connection and its prepared statements; touched only on `loop`.
private final class Lane: @unchecked Sendable {
    static func sql(_ type: ResourceType) -> String {
        switch type {
        case .generation: PostgresAuthorizationQueries.decideGeneration
        case .project: PostgresAuthorizationQueries.decideProject
        case .team: PostgresAuthorizationQueries.decideTeam
        }
    }
    /// How long a failed connection attempt keeps the loop from trying again.
    static let retryAfter = TimeAmount.seconds(1)

    /// The statements prepared on a lane's connection.
    struct Statements {
        var decide: [ResourceType: PreparedQuery]
        var revision: PreparedQuery
    }

    private enum State {
        case disconnected(retryAt: NIODeadline)
        case connecting
        case ready(PostgresConnection, Statements)
    }

    let loop: any EventLoop
    private let logger: Logger
    private var state = State.disconnected(retryAt: .uptimeNanoseconds(0))

    init(loop: any EventLoop, logger: Logger) {
        self.loop = loop
        self.logger = logger
    }

    func read(_ request: CheckRequest, reader: PostgresLoopReader) -> EventLoopFuture<DecisionFacts>? {
        guard let (connection, statements) = ready(reader) else { return nil }
        let binds = [PostgresData(string: request.resourceId), PostgresData(string: request.userId), PostgresData(string: request.action.rawValue)]
        // PostgresNIO 1.33.2 asks for binary results but describes a `PreparedQuery`'s columns as text: both reads
        // decode their columns as binary.
        return execute(statements.decide[request.resourceType]!, binds, on: connection, within: PostgresSnapshotPool.statementTimeout) { row in
            try PostgresStore.decisionFacts(row, resourceType: request.resourceType, binaryColumns: true)
        }
    }

    func readRevision(within limit: TimeAmount, reader: PostgresLoopReader) -> EventLoopFuture<Int64>? {
        guard let (connection, statements) = ready(reader) else { return nil }
        return execute(statements.revision, [], on: connection, within: limit) { row in
            var columns = PostgresColumns(row, binary: true)
            return try columns.next()
        }
    }

    /// The connection and its statements when ready; else nil, and a connection is opened unless one is being opened
    /// or the last attempt failed less than `retryAfter` ago.
    private func ready(_ reader: PostgresLoopReader) -> (PostgresConnection, Statements)? {
        loop.preconditionInEventLoop()
        switch state {
        case .ready(let connection, let statements) where !connection.isClosed:
            return (connection, statements)
        case .ready:
            state = .disconnected(retryAt: .uptimeNanoseconds(0))
            connect(reader)
        case .disconnected(let retryAt) where NIODeadline.now() >= retryAt:
            connect(reader)
        case .disconnected, .connecting:
            break
        }
        return nil
    }

    private func execute<Value: Sendable>(_ statement: PreparedQuery, _ binds: [PostgresData], on connection: PostgresConnection,
                                          within limit: TimeAmount,
                                          decode: @escaping @Sendable (PostgresRow) throws -> Value) -> EventLoopFuture<Value> {
        let promise = loop.makePromise(of: Value.self)
        let timeout = loop.scheduleTask(in: limit) { [self] in
            // A statement that never completes (a half-open socket) must not hold its callers: fail them, and drop the
            // connection so that nothing is queued behind it.
            promise.fail(PortcullisError(.storeUnavailable, "PostgreSQL did not answer within \(Duration.nanoseconds(limit.nanoseconds))"))
            drop(connection)
        }
        statement.execute(binds).whenComplete { result in
            timeout.cancel()
            do {
                guard let row = try result.get().first else { throw PortcullisError(.storeError, "the statement returned no row") }
                promise.succeed(try decode(row))
            } catch {
                // These statements do not fail on a sound connection (bad ids simply find nothing): whatever went
                // wrong — a restart, a pooler that dropped the prepared statements — a new connection mends it.
                self.drop(connection)
                promise.fail(PostgresStore.mapped(error))
            }
        }
        return promise.futureResult
    }

    /// Closes `connection`; the next read opens another.
    private func drop(_ connection: PostgresConnection) {
        if case .ready(let current, _) = state, current === connection { state = .disconnected(retryAt: .uptimeNanoseconds(0)) }
        PostgresSnapshotPool.close(connection)
    }

    private func connect(_ reader: PostgresLoopReader) {
        state = .connecting
        reader.connect(on: loop).whenComplete { [self] result in
            switch result {
            case .success(let (connection, prepared)) where !reader.isClosed:
                state = .ready(connection, prepared)
            case .success(let (connection, _)):
                state = .disconnected(retryAt: .distantFuture)
                PostgresSnapshotPool.close(connection)
            case .failure(let error):
                logger.warning("the event loop's PostgreSQL connection could not be opened; checks read through the pool",
                                   metadata: ["error": "\(PostgresStore.mapped(error).message)"])
                state = .disconnected(retryAt: .now() + Self.retryAfter)
            }
        }
    }

    func close() {
        if case .ready(let connection, _) = state { PostgresSnapshotPool.close(connection) }
        state = .disconnected(retryAt: .distantFuture)
    }
}
