import Synchronization

/// Lets one write of this process run at a time, in arrival order, across its awaits.
///
/// PostgreSQL already serializes writes on the `revision` row (each holds its row lock until it commits), so they
/// commit in revision order; the gate makes this process also *announce* them in that order (`onCommit` runs
/// before the next write starts), as `VersionClock` requires: the clock never passes a revision whose versions it
/// has not applied. A waiting write holds no connection.
final class PostgresWriteGate: Sendable {
    private struct State {
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Runs `body` when every earlier write of this gate has finished.
    func run<T>(_ body: () async throws -> T) async throws -> T {
        await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let proceed = state.withLock { state in
                if state.busy {
                    state.waiters.append(continuation)
                    return false
                }
                state.busy = true
                return true
            }
            if proceed { continuation.resume() }
        }
    }

    private func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.busy = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
