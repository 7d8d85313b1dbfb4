import PortcullisModel
import PortcullisCache
import PortcullisStore
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs the deliberately slow password KDF on a bounded number of threads with a short queue (SPEC 8.1).
///
/// Each PBKDF2 run takes a core for about a fifth of a second, so unbounded concurrent sign-ins would let anyone stall
/// the machine. At most `workers` runs proceed at once (default: one per core), at most `queueLimit` wait; beyond that
/// `run` throws `overloaded` (503 with `Retry-After`) at once rather than queueing without bound.
public final class PasswordHashingPool: Sendable {
    struct State {
        var running = 0
        var waiting: [CheckedContinuation<Bool, Never>] = []
    }

    /// Runs allowed at once (at least 1).
    public let workers: Int
    /// Calls allowed to wait for a slot (at least 0); the next one is refused with `overloaded`.
    public let queueLimit: Int
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "portcullis.password-hashing", attributes: .concurrent)

    /// A pool of `workers` slots (one per core by default) and a queue of `queueLimit` (16).
    ///
    /// ```swift
    /// let pool = PasswordHashingPool()
    /// let matches = try await pool.run { PasswordHasher.verify(password, against: storedHash) }
    /// ```
    public init(workers: Int = PasswordHashingPool.cores, queueLimit: Int = 16) {
        self.workers = max(1, workers)
        self.queueLimit = max(0, queueLimit)
    }

    /// The number of online processors.
    public static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Runs `work` on one of the pool's threads once a slot is free; throws `overloaded` when all slots and the queue are taken.
    public func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws(PortcullisError) -> T {
        try await acquire()
        defer { release() }
        return await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }

    /// Runs and slots waiting, for reports and tests.
    public var load: (running: Int, waiting: Int) { state.withLock { ($0.running, $0.waiting.count) } }

    /// Takes a slot, waits in the queue for one, or refuses: decided in one critical section, so concurrent callers
    /// never overfill the queue.
    private func acquire() async throws(PortcullisError) {
        let admitted = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let decided = state.withLock { state -> Bool? in
                if state.running < workers {
                    state.running += 1
                    return true
                }
                guard state.waiting.count < queueLimit else { return false }
                state.waiting.append(continuation)
                return nil
            }
            if let decided { continuation.resume(returning: decided) }
        }
        guard admitted else { throw PortcullisError(.overloaded, "too many password checks in progress; retry shortly") }
    }

    /// Hands the slot to the longest waiter, or frees it.
    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard !state.waiting.isEmpty else {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume(returning: true)
    }
}
