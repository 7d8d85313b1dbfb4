import Logging
import PortcullisModel
import PostgresNIO
import Synchronization

/// Every write and management read on a pooled connection, bounded: the caller stops waiting — `store_unavailable`,
/// 503 + `Retry-After` — when the connection closes under the work or its deadline passes, whatever the work does.
///
/// PostgresNIO 1.33.2 can leave a statement pending for ever when the server terminates its connection in the middle
/// of a transaction (a restart, a failover), and closing the connection does not fail it. A write waits on it while
/// holding `PostgresWriteGate`, so without a bound every later write of the node would queue behind it for ever. The
/// work therefore runs in a task of its own that the caller can leave behind: the caller returns, the gate is
/// released, the connection is closed (the pool replaces it; it is never used again) and the abandoned task is
/// cancelled. Such a write is in doubt, as on any client timeout: its transaction is rolled back with the closed
/// connection unless its `COMMIT` had already reached the server. It never returned 2xx: a write returns its value
/// only when its `COMMIT` succeeded before it was abandoned. If it did commit, every node's change feed applies it
/// like any commit (it is in `commit_log`), and `onCommit`, when the store has one, is told late.
extension PostgresStore {
    /// How long a write may wait for a pooled connection, and then run on it, before it is abandoned.
    ///
    /// A backstop for a connection that neither answers nor closes (a half-open socket after a network partition):
    /// a connection the server closed — a restart, a failover, a terminated backend — is detected within
    /// `closedConnectionPoll`. Far above a live write: one queued on the revision row's lock under CI's parallel load
    /// passed 10 s, and in a parallel test run on a 2-core machine at load 12 dozens passed 30 s (their connection
    /// waits and statements both count). A write given up on at its deadline is in doubt, never held.
    static let writeDeadline = Duration.seconds(120)
    /// How long a management read may wait for a connection, and then run on it, before it is abandoned (it holds
    /// no gate, but a pool connection).
    static let readDeadline = Duration.seconds(120)
    /// How often a running attempt looks whether its connection has closed: a closed connection fails the attempt at
    /// once rather than at its deadline (the restart case).
    static let closedConnectionPoll = Duration.milliseconds(100)

    /// Runs `body` on a pooled connection in a task of its own and returns its value, or throws `store_unavailable`
    /// when the connection closes first, or `limit` passes first — waiting for the connection, or from when it came.
    ///
    /// `announce` runs with the value after `body` returned and before the caller resumes: a write's `onCommit`, in
    /// commit order while the caller holds the write gate. For an attempt abandoned meanwhile it still runs, late.
    /// - Parameter what: names the work in the error and the log ("write", "read").
    func boundedConnection<T: Sendable>(
        within limit: Duration, _ what: String, _ body: @escaping (PostgresConnection) async throws -> T,
        announce: @escaping @Sendable (T) -> Void = { _ in }
    ) async throws -> T {
        let client = client
        let logger = logger
        let work = UncheckedWork(body)
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>, Never>) in
            let attempt = BoundedAttempt(continuation)
            let running = Task {
                do {
                    let value = try await client.withConnection { connection in
                        guard attempt.attach(connection) else { throw CancellationError() }
                        return try await work.body(connection)
                    }
                    attempt.succeed(value, announce: announce)
                } catch {
                    attempt.fail(error)
                }
            }
            Task {
                let asked = ContinuousClock.now
                while !attempt.isFinished {
                    let deadline = (attempt.leasedAt ?? asked) + limit
                    if attempt.connectionClosed {
                        attempt.abandon(PortcullisError(.storeUnavailable, "PostgreSQL closed the \(what)'s connection; the \(what) is in doubt; retry"),
                                        cancelling: running, logger: logger)
                        return
                    }
                    if ContinuousClock.now >= deadline {
                        let phase = attempt.leasedAt == nil ? "give a connection for" : "finish"
                        attempt.abandon(PortcullisError(.storeUnavailable, "PostgreSQL did not \(phase) the \(what) in time; it is in doubt; retry"),
                                        cancelling: running, logger: logger)
                        return
                    }
                    try? await Task.sleep(for: min(Self.closedConnectionPoll, deadline - ContinuousClock.now))
                }
            }
        }
        return try result.get()
    }
}

/// The work of a bounded attempt, handed to the attempt's own task.
///
/// `@unchecked Sendable`: the closure is not `Sendable` (it captures a write's recorder), but it is called once,
/// only by that task, and the caller that made it never touches it again.
private struct UncheckedWork<T>: @unchecked Sendable {
    let body: (PostgresConnection) async throws -> T
    init(_ body: @escaping (PostgresConnection) async throws -> T) { self.body = body }
}

/// One bounded attempt's outcome: delivered to the waiting caller once, by whichever of the work and the watchdog
/// settles it first.
private final class BoundedAttempt<T: Sendable>: Sendable {
    typealias Caller = CheckedContinuation<Result<T, any Error>, Never>

    private struct State {
        var caller: Caller?
        var connection: PostgresConnection?
        var leasedAt: ContinuousClock.Instant?
        var abandoned = false
    }

    private let state: Mutex<State>

    init(_ caller: Caller) { state = Mutex(State(caller: caller)) }

    /// Whether the caller has its outcome.
    var isFinished: Bool { state.withLock { $0.caller == nil } }

    /// When the pool gave the connection; nil while waiting for one.
    var leasedAt: ContinuousClock.Instant? { state.withLock { $0.leasedAt } }

    /// Whether the leased connection has closed.
    var connectionClosed: Bool { state.withLock { $0.connection }?.isClosed ?? false }

    /// Records the leased connection; false when the attempt was abandoned before it got one (nothing may start).
    func attach(_ connection: PostgresConnection) -> Bool {
        state.withLock { state in
            guard !state.abandoned else { return false }
            state.connection = connection
            state.leasedAt = ContinuousClock.now
            return true
        }
    }

    func succeed(_ value: T, announce: @Sendable (T) -> Void) {
        let caller = state.withLock { $0.caller.take() }
        announce(value)
        caller?.resume(returning: .success(value))
    }

    func fail(_ error: any Error) {
        state.withLock { $0.caller.take() }?.resume(returning: .failure(error))
    }

    /// Gives up unless the work has finished: the caller resumes with `error`, the connection is closed so that
    /// nothing uses it again, and the work's task is cancelled (a wait for a lease ends).
    func abandon(_ error: PortcullisError, cancelling task: Task<Void, Never>, logger: Logger) {
        let taken = state.withLock { state -> (caller: Caller, connection: PostgresConnection?)? in
            guard let caller = state.caller.take() else { return nil }
            state.abandoned = true
            return (caller, state.connection)
        }
        guard let taken else { return }
        logger.warning("PostgreSQL work abandoned; its connection is closed", metadata: ["reason": "\(error.message)"])
        taken.connection?.close().whenComplete { _ in }
        task.cancel()
        taken.caller.resume(returning: .failure(error))
    }
}
