import PortcullisModel
import PortcullisStore
import Synchronization

/// The consistency gate of a node on PostgreSQL (SPEC 8.4): it learns the database's revision and waits until the
/// node's change feed has applied it before the node's caches answer.
///
/// A write returns only after its commit, so a revision read from the database after a request arrived is at least
/// that of every write that had returned before: once the feed has applied it, every cache entry this node serves
/// is validated against versions that include those writes (docs/caching.md, "Several nodes").
///
/// Reads are shared: one round at a time reads the revision (`SELECT value FROM revision`), and a request joins
/// the round in flight when that round was issued after the request arrived, else the next one, which starts when
/// the one in flight ends (as a group commit does). Under load a request waits at most about two round trips and
/// the database sees one small read per round trip, not one per request. `currentSince` remembers the issue time of
/// the newest round that completed, so requests that arrived before it wait for nothing. Waiters and reads are
/// callbacks: the fast path's event loops wait without a task, and a round needs none either when its revision read
/// completes on an event loop (`PostgresStore.readRevisionForGate`) and the feed has already applied that revision,
/// as it has while nobody writes. `awaitCurrent` wraps a waiter in a continuation.
///
/// ```swift
/// let gate = PostgresConsistencyGate(feed: feed) { limit, done in store.readRevisionForGate(within: limit, done) }
/// try await gate.awaitCurrent(since: requestStart)
/// ```
public final class PostgresConsistencyGate: ConsistencyGate {
    /// The node's change feed: what it has applied, whether it is live, and waiting for a revision.
    public let feed: PostgresChangeFeed
    /// How long a request waits for the database's answer and for the feed to apply a revision (SPEC: 1 s).
    public let wait: Duration
    private let readRevision: RevisionRead
    private let state = Mutex(State())
    /// Every write that returned before this instant (`monotonicNanoseconds`) is applied on this node. Read without
    /// the lock on every request; only a finished round moves it, forward, under the lock.
    private let currentSince = Atomic<Int64>(.min)

    private typealias Waiter = @Sendable (Result<Void, PortcullisError>) -> Void
    /// Reads the database's current revision by a statement sent after the call and calls back once, from any
    /// thread, within about the given limit.
    public typealias RevisionRead = @Sendable (Duration, @escaping @Sendable (Result<Int64, PortcullisError>) -> Void) -> Void

    private struct State {
        /// When the round in flight read the revision; nil while no round runs.
        var roundIssuedAt: Int64?
        var inRound: [Waiter] = []
        var nextRound: [Waiter] = []
        var rounds = 0
    }

    /// A gate over `feed`; `readRevision` reads the database's current revision (`PostgresStore.readRevisionForGate`).
    public init(feed: PostgresChangeFeed, wait: Duration = .seconds(1), readRevision: @escaping RevisionRead) {
        self.feed = feed
        self.wait = wait
        self.readRevision = readRevision
    }

    /// A gate whose revision reads are `async` (each runs in a task of its own, bounded by `wait`).
    public convenience init(feed: PostgresChangeFeed, wait: Duration = .seconds(1), readRevision: @escaping @Sendable () async throws -> Int64) {
        self.init(feed: feed, wait: wait) { limit, done in
            Task { done(await Self.revision(within: limit, readRevision)) }
        }
    }

    /// The revision `read` gives within `limit`, else `store_unavailable`; `read` is not waited for past `limit`
    /// (a connection attempt ignores cancellation).
    static func revision(within limit: Duration, _ read: @escaping @Sendable () async throws -> Int64) async -> Result<Int64, PortcullisError> {
        let result = await FirstOf.run(within: limit) { () async -> Result<Int64, PortcullisError> in
            do {
                return .success(try await read())
            } catch {
                return .failure(PortcullisError(.storeUnavailable, "PostgreSQL did not give its revision: \(PostgresStore.mapped(error).message)"))
            }
        }
        return result ?? .failure(PortcullisError(.storeUnavailable, "PostgreSQL did not give its revision in time"))
    }

    /// How many revision reads the gate has made: for reports and tests.
    public var rounds: Int { state.withLock { $0.rounds } }

    public var status: ConsistencyGateStatus {
        let since = currentSince.load(ordering: .acquiring)
        return ConsistencyGateStatus(live: feed.isLive, appliedRevision: feed.appliedRevision, reads: rounds,
                                     provenAgoMilliseconds: since == .min ? nil : Double(monotonicNanoseconds() - since) / 1e6)
    }

    public func isCurrent(since start: Int64) -> Bool {
        currentSince.load(ordering: .acquiring) >= start
    }

    /// Within the bound, and once half of it has passed since the last round began, a round starts in the background
    /// (when none runs) so that the next checks find the node within the bound again without waiting.
    public func isCurrent(withinNanoseconds nanoseconds: Int64) -> Bool {
        let now = monotonicNanoseconds()
        let since = currentSince.load(ordering: .acquiring)
        if since < now - nanoseconds / 2 { startRoundIfIdle() }
        return since >= now - nanoseconds
    }

    public func whenCurrent(since start: Int64, _ done: @escaping @Sendable (Result<Void, PortcullisError>) -> Void) {
        if isCurrent(since: start) { return done(.success(())) }
        guard feed.isLive else { return done(.failure(Self.notLive)) }
        enum Step { case ready, queued, issued(Int64) }
        let step = state.withLock { state -> Step in
            // A round may have finished since the first look.
            if isCurrent(since: start) { return .ready }
            if let issuedAt = state.roundIssuedAt {
                if issuedAt >= start { state.inRound.append(done) } else { state.nextRound.append(done) }
                return .queued
            }
            let issuedAt = monotonicNanoseconds()
            state.roundIssuedAt = issuedAt
            state.inRound.append(done)
            return .issued(issuedAt)
        }
        switch step {
        case .ready: done(.success(()))
        case .queued: break
        case .issued(let issuedAt): startRound(issuedAt)
        }
    }

    /// Starts a round with no request waiting, unless one runs.
    private func startRoundIfIdle() {
        guard feed.isLive else { return }
        let issued = state.withLock { state -> Int64? in
            guard state.roundIssuedAt == nil else { return nil }
            let issuedAt = monotonicNanoseconds()
            state.roundIssuedAt = issuedAt
            return issuedAt
        }
        if let issued { startRound(issued) }
    }

    public func awaitRevision(_ revision: Int64) async throws(PortcullisError) {
        if feed.appliedRevision >= revision { return }
        guard feed.isLive else { throw Self.notLive }
        let current = try await databaseRevision()
        guard revision <= current else {
            throw .invalidField("consistency", "revision \(revision) has not been reached; the data is at revision \(current)")
        }
        guard await feed.waitUntilApplied(revision, timeout: wait) else { throw Self.behind(revision) }
    }

    /// Reads the revision for the round issued at `issuedAt`, waits for the feed to apply it, and ends the round.
    private func startRound(_ issuedAt: Int64) {
        readRevision(wait) { [self] read in
            switch read {
            case .failure(let error):
                endRound(issuedAt, .failure(error))
            case .success(let revision) where feed.appliedRevision >= revision:
                endRound(issuedAt, .success(()))
            case .success(let revision):
                Task {
                    let applied = await feed.waitUntilApplied(revision, timeout: wait)
                    endRound(issuedAt, applied ? .success(()) : .failure(Self.behind(revision)))
                }
            }
        }
    }

    /// Answers the round's waiters; the requests that arrived meanwhile form the next round, which starts first.
    private func endRound(_ issuedAt: Int64, _ result: Result<Void, PortcullisError>) {
        let (finished, next) = state.withLock { state -> ([Waiter], Int64?) in
            state.rounds += 1
            if case .success = result, currentSince.load(ordering: .relaxed) < issuedAt {
                currentSince.store(issuedAt, ordering: .releasing)
            }
            let finished = state.inRound
            state.inRound = state.nextRound
            state.nextRound = []
            guard !state.inRound.isEmpty else {
                state.roundIssuedAt = nil
                return (finished, nil)
            }
            let next = monotonicNanoseconds()
            state.roundIssuedAt = next
            return (finished, next)
        }
        if let next { startRound(next) }
        for waiter in finished { waiter(result) }
    }

    /// The database's revision, or `store_unavailable` when it does not answer within `wait`.
    private func databaseRevision() async throws(PortcullisError) -> Int64 {
        let read = readRevision, wait = wait
        return try await withCheckedContinuation { continuation in read(wait) { continuation.resume(returning: $0) } }.get()
    }

    static let notLive = PortcullisError(
        .storeUnavailable, "this node is reconnecting to PostgreSQL's change feed and cannot prove its caches current; retry")

    static func behind(_ revision: Int64) -> PortcullisError {
        PortcullisError(.storeUnavailable, "this node has not yet applied revision \(revision); retry")
    }
}

/// Races an operation against a deadline without waiting for the loser: an operation that ignores cancellation
/// (a connection attempt) cannot hold its caller past the deadline.
enum FirstOf {
    /// The operation's result, or nil when `limit` passes first.
    static func run<T: Sendable>(within limit: Duration, _ operation: @escaping @Sendable () async -> T) async -> T? {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let pending = Pending(continuation)
            let timer = Task {
                try? await Task.sleep(for: limit)
                pending.take()?.resume(returning: nil)
            }
            Task {
                let value = await operation()
                if let waiting = pending.take() {
                    timer.cancel()
                    waiting.resume(returning: value)
                }
            }
        }
    }

    /// A continuation resumed once, by whichever side takes it first.
    private final class Pending<T: Sendable>: Sendable {
        private let continuation: Mutex<CheckedContinuation<T?, Never>?>
        init(_ continuation: CheckedContinuation<T?, Never>) { self.continuation = Mutex(continuation) }
        func take() -> CheckedContinuation<T?, Never>? { continuation.withLock { $0.take() } }
    }
}
