import Dispatch
import Synchronization

/// Lets one write of this process run at a time, in arrival order, across its awaits.
///
/// PostgreSQL already serializes writes on the `revision` row (each holds its row lock until it commits), so they
/// commit in revision order; the gate makes this process also *announce* them in that order (`onCommit` runs
/// before the next write starts), as `VersionClock` requires: the clock never passes a revision whose versions it
/// has not applied. A waiting write holds no connection, and the write ahead of it holds the gate for a bounded time
/// (`PostgresStore.boundedConnection`): a write whose connection dies under it fails and lets the next one in.
final class PostgresWriteGate: Sendable {
    /// A write waiting for its turn: a task, or a thread blocked in `runBlocking`.
    private enum Waiter {
        case task(CheckedContinuation<Void, Never>)
        case thread(DispatchSemaphore)

        func resume() {
            switch self {
            case .task(let continuation): continuation.resume()
            case .thread(let semaphore): semaphore.signal()
            }
        }
    }

    private struct State {
        var busy = false
        var waiters: [Waiter] = []
    }

    private let state = Mutex(State())

    /// Runs `body` when every earlier write of this gate has finished.
    func run<T>(_ body: () async throws -> T) async throws -> T {
        await enter()
        defer { leave() }
        return try await body()
    }

    /// Runs `body` on the calling thread when every earlier write has finished, blocking the thread until then (the
    /// synchronous import; never call it on an event-loop thread).
    func runBlocking<T>(_ body: () throws -> T) throws -> T {
        let semaphore = DispatchSemaphore(value: 0)
        if !admit(.thread(semaphore)) { semaphore.wait() }
        defer { leave() }
        return try body()
    }

    private func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if admit(.task(continuation)) { continuation.resume() }
        }
    }

    /// Takes the gate when it is free (true), or queues `waiter` to be resumed when its turn comes (false).
    private func admit(_ waiter: Waiter) -> Bool {
        state.withLock { state in
            if state.busy {
                state.waiters.append(waiter)
                return false
            }
            state.busy = true
            return true
        }
    }

    private func leave() {
        let next = state.withLock { state -> Waiter? in
            if state.waiters.isEmpty {
                state.busy = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
