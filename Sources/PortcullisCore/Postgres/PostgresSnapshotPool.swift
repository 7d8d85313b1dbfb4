import Dispatch
import Logging
import NIOCore
import NIOPosix
import PortcullisModel
import PostgresNIO
import Synchronization

/// Connections for the synchronous read path: `AuthorizationStore.withSnapshot` and `decisionFacts` are synchronous
/// (SQLite answers them in microseconds from memory), so on PostgreSQL the calling thread waits for the query's
/// `EventLoopFuture`.
///
/// Waiting is safe only off the event loops: a thread of an event loop that waits for a future of a connection on
/// the same loop would never be woken. Every entry point therefore checks that the caller is not an event-loop thread
/// and, if it is, throws `store_error` (it never blocks, never crashes): the HTTP fast path, which decides on the
/// event loop, must be off on this backend. The futures complete on NIO's threads alone — no Swift task is involved —
/// so a caller on Swift's cooperative pool cannot starve the pool it waits for; it does hold its thread, so the HTTP
/// handlers await `PostgresStore.decisionFacts(asynchronously:)` instead and run batches and listings on NIO's blocking
/// thread pool (`PostgresStore.runBlockingRead`). See docs/architecture.md.
///
/// At most `capacity` connections exist; a caller beyond them waits (a semaphore) until one is handed back. A
/// connection that failed is closed and replaced rather than handed out again.
final class PostgresSnapshotPool: Sendable {
    private let configuration: PostgresConnection.Configuration
    private let eventLoops: any EventLoopGroup
    private let logger: Logger
    private let idle = Mutex<[PostgresConnection]>([])
    private let nextId = Atomic<Int>(0)
    /// One permit per connection that may exist.
    private let permits: DispatchSemaphore

    init(configuration: PostgresConnection.Configuration, capacity: Int, eventLoops: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.eventLoops = eventLoops
        self.logger = logger
        self.permits = DispatchSemaphore(value: max(1, capacity))
    }

    /// Set by `close()`: connections handed back afterwards are closed, none is opened.
    private let closed = Atomic<Bool>(false)

    deinit { close() }

    /// Closes the idle connections now and each busy one as it is handed back.
    func close() {
        closed.store(true, ordering: .sequentiallyConsistent)
        for connection in idle.withLock({ idle in
            defer { idle.removeAll() }
            return idle
        }) { Self.close(connection) }
    }

    /// Keeps `connection` for the next caller, or closes it when the pool is closed.
    private func handBack(_ connection: PostgresConnection) {
        let kept = idle.withLock { idle in
            guard !closed.load(ordering: .sequentiallyConsistent) else { return false }
            idle.append(connection)
            return true
        }
        if !kept { Self.close(connection) }
    }

    /// Closes `connection`, keeping it alive until the channel has closed (PostgresNIO asserts a connection is
    /// closed before it goes).
    static func close(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Whether the current thread runs an event loop (where waiting for a future would deadlock).
    static var onEventLoop: Bool { MultiThreadedEventLoopGroup.currentEventLoop != nil }

    /// Runs `body` with a connection of its own, then hands the connection back (or drops it when it failed).
    /// - Throws: `store_error` on an event-loop thread; `store_unavailable` when no connection can be opened.
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        guard !Self.onEventLoop else {
            throw PortcullisError(
                .storeError, "a synchronous PostgreSQL read was called on an event-loop thread; turn server.fast_path off with this backend")
        }
        permits.wait()
        defer { permits.signal() }
        // An idle connection the server closed meanwhile (a restart) is dropped rather than tried.
        var reused: PostgresConnection?
        while let candidate = idle.withLock({ $0.popLast() }) {
            if !candidate.isClosed {
                reused = candidate
                break
            }
            Self.close(candidate)
        }
        guard !closed.load(ordering: .sequentiallyConsistent) else {
            throw PortcullisError(.storeUnavailable, "the PostgreSQL store is closed")
        }
        let connection = try reused ?? open()
        do {
            let result = try body(connection)
            if !connection.isClosed { handBack(connection) }
            return result
        } catch {
            // A failed statement leaves a healthy connection (the transaction was rolled back by `query`'s caller);
            // a broken one, or one that did not answer in time, is closed and not handed out again.
            if connection.isClosed || (error as? PortcullisError)?.code == .storeUnavailable {
                Self.close(connection)
            } else {
                handBack(connection)
            }
            throw error
        }
    }

    private func open() throws -> PostgresConnection {
        let id = nextId.add(1, ordering: .relaxed).newValue
        do {
            return try PostgresConnection.connect(on: eventLoops.next(), configuration: configuration, id: id, logger: logger).wait()
        } catch {
            throw PortcullisError(.storeUnavailable, "cannot connect to PostgreSQL: \(PostgresStore.describe(error))")
        }
    }

    /// How long a caller waits for a statement's rows before giving up with `store_unavailable`. A connection the
    /// server dropped (a restart, a failover) may never answer; a thread of Swift's cooperative pool waiting for it
    /// forever would starve every task of the process.
    static let statementTimeout = TimeAmount.seconds(5)

    /// Runs `sql` with `binds` on `connection` and waits for every row, at most `statementTimeout` (the connection is
    /// then closed).
    static func rows(_ connection: PostgresConnection, _ sql: String, _ binds: PostgresBindings, logger: Logger) throws -> [PostgresRow] {
        let loop = connection.eventLoop
        let promise = loop.makePromise(of: [PostgresRow].self)
        let timeout = loop.scheduleTask(in: statementTimeout) {
            promise.fail(PortcullisError(.storeUnavailable, "PostgreSQL did not answer within \(statementTimeout.nanoseconds / 1_000_000_000) s"))
            close(connection)
        }
        connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).map(\.rows).whenComplete { result in
            timeout.cancel()
            promise.completeWith(result)
        }
        do {
            return try promise.futureResult.wait()
        } catch {
            throw PostgresStore.mapped(error)
        }
    }

    /// Runs `body` (a lease of a pooled connection and a statement on it) for an `async` caller, at most
    /// `statementTimeout`: then the caller gets `store_unavailable`. `body` runs in a task of its own, so a lease or a
    /// statement that never completes (a database that went away) holds only that task, never the caller; the deadline
    /// is a timer of an event loop, not another task. The connection is not closed: PostgresNIO 1.33.2 leaves a
    /// statement of a closed connection pending for ever, which would keep its lease from the pool (docs/scaling.md),
    /// whereas a statement that is only slow completes and hands its connection back.
    static func withinStatementTimeout<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let outcome = SingleResumption(continuation)
            let timeout = MultiThreadedEventLoopGroup.singleton.next().scheduleTask(in: statementTimeout) {
                let message = "PostgreSQL did not answer within \(statementTimeout.nanoseconds / 1_000_000_000) s"
                _ = outcome.resume(with: .failure(PortcullisError(.storeUnavailable, message)))
            }
            Task {
                let result: Result<T, any Error>
                do {
                    result = .success(try await body())
                } catch {
                    result = .failure(error)
                }
                timeout.cancel()
                _ = outcome.resume(with: result)
            }
        }
    }
}

/// A continuation resumed by whichever of two sides comes first; the other finds it taken.
private final class SingleResumption<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    /// Resumes with `result` unless the other side did; whether this call did.
    func resume(with result: Result<T, any Error>) -> Bool {
        guard let continuation = continuation.withLock({ $0.take() }) else { return false }
        continuation.resume(with: result)
        return true
    }
}
