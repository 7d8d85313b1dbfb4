import Logging
import NIOCore
import NIOPosix
import PortcullisModel
import PostgresNIO
import Synchronization

/// One node's view of every node's commits (SPEC 8.4): applies each committed write of the shared database, in
/// revision order and none skipped, to this node's `VersionClock` (through `apply`).
///
/// It holds one dedicated connection that `LISTEN`s on the store's channel (`PostgresStore.channel(schema:)`). Each
/// write publishes its revision (and its keys, when they fit) there and writes a `commit_log` row, both in its
/// transaction. A notification that is not the next revision, or carries no keys, makes the feed read what it lacks
/// from `commit_log`; a node behind the log's oldest row reloads the versions moved since its revision from
/// `versions`. So `appliedRevision` = R means: every write with a revision ≤ R has moved this node's versions.
///
/// On start and after every reconnect it listens first, then catches up from the database, and only then reports
/// itself live. When the connection drops it reports not-live at once and reconnects with backoff (50 ms doubling
/// to 5 s). It does not wait for a statement of a closed connection to fail (PostgresNIO 1.33.2 can leave one
/// pending for ever): the connection's close ends its turn, and whatever that turn was still running applies
/// nothing after it.
///
/// The feed must be the clock's only applier, the node's own writes included: a write's caller awaits
/// `waitUntilApplied(written.revision)` before answering, rather than the store's `onCommit` applying it. Applied
/// directly, a node's own revision N could be published while a peer's N − 1 is still on its way, and the cache's
/// L1 skips validation while the revision is unchanged (docs/caching.md, "Several nodes").
///
/// ```swift
/// let versions = VersionClock()
/// let store = try PostgresStore(configuration)            // no onCommit: the feed applies every commit
/// let persisted = try store.persistedVersions()
/// versions.load(persisted)
/// let feed = PostgresChangeFeed(configuration, after: persisted.revision, apply: versions.apply)
/// let running = Task { await feed.run() }   // until cancelled
/// let written = try await store.deleteMember(teamId: "t", userId: "bob")
/// guard await feed.waitUntilApplied(written, timeout: .seconds(1)) else { /* 503 + Retry-After */ }
/// ```
public final class PostgresChangeFeed: Sendable {
    /// The configuration connections are made from.
    public let configuration: PostgresConfiguration
    /// The `application_name` of the LISTEN connection, as `pg_stat_activity` shows it.
    public let applicationName: String
    private let apply: @Sendable (Commit) -> Void
    private let channel: String
    private let logger: Logger
    private let state: Mutex<State>

    private struct Waiter {
        var id: UInt64
        /// The revision it waits for; nil: it waits for the feed to be live.
        var revision: Int64?
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var applied: Int64
        var live = false
        var connections = 0
        var disconnections = 0
        var nextWaiter: UInt64 = 0
        var waiters: [Waiter] = []
    }

    /// A feed that will apply every commit after `revision` (the revision the clock was loaded at).
    /// - Parameters:
    ///   - applicationName: names the LISTEN connection in `pg_stat_activity` (e.g. the node's name).
    ///   - apply: told of each commit in revision order, from one task at a time (the clock's `apply`).
    public init(_ configuration: PostgresConfiguration, after revision: Int64, applicationName: String = "portcullis-feed",
                logger: Logger = Logger(label: "portcullis.postgres.feed"), apply: @escaping @Sendable (Commit) -> Void) {
        self.configuration = configuration
        self.applicationName = applicationName
        self.apply = apply
        self.logger = logger
        channel = PostgresStore.channel(schema: configuration.schema)
        state = Mutex(State(applied: revision))
    }

    /// Whether the feed is connected and caught up: every commit up to the moment it last heard from the database
    /// is applied, and it will hear of the next ones. False while starting, reconnecting or catching up.
    public var isLive: Bool { state.withLock { $0.live } }

    /// Waits until the feed is live (`isLive`), at most `timeout`: for a server about to start listening, so its first
    /// requests do not meet a node that cannot prove itself current yet.
    /// - Returns: whether it is live; false on timeout or cancellation.
    public func waitUntilLive(timeout: Duration) async -> Bool {
        if isLive { return true }
        return await wait(for: nil, timeout: timeout)
    }

    /// The highest revision such that every commit up to it has been applied.
    public var appliedRevision: Int64 { state.withLock { $0.applied } }

    /// How many LISTEN connections the feed has opened (each reconnect adds one): for reports and tests.
    public var connectionCount: Int { state.withLock { $0.connections } }

    /// How many times the feed went from live to not live (a lost connection): for reports and tests.
    public var disconnections: Int { state.withLock { $0.disconnections } }

    /// Waits until every commit up to `revision` is applied, at most `timeout`.
    /// - Returns: true when it is (at once if already), false on timeout or cancellation.
    public func waitUntilApplied(_ revision: Int64, timeout: Duration) async -> Bool {
        if appliedRevision >= revision { return true }
        return await wait(for: revision, timeout: timeout)
    }

    /// Waits until `revision` is applied (nil: until the feed is live), at most `timeout`.
    private func wait(for revision: Int64?, timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.wait(for: revision) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Waits without a limit; false when the task is cancelled first.
    private func wait(for revision: Int64?) async -> Bool {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let immediate = state.withLock { state -> Bool? in
                    if revision.map({ state.applied >= $0 }) ?? state.live { return true }
                    // Checked under the lock the cancellation handler takes: either it runs after this and finds
                    // the waiter, or the task was already cancelled and is seen here.
                    if Task.isCancelled { return false }
                    state.waiters.append(Waiter(id: id, revision: revision, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(returning: false)
        }
    }

    /// Listens, catches up and applies commits until the task is cancelled, reconnecting whenever the connection
    /// fails. Run it in a task (or a service) for the node's lifetime.
    public func run() async {
        var backoff = Duration.milliseconds(50)
        while !Task.isCancelled {
            let wentLive = WentLive()
            do {
                try await listenOnce(wentLive)
            } catch {
                if Task.isCancelled { break }
                logger.warning("change feed lost its connection; reconnecting", metadata: ["error": "\(PostgresStore.describe(error))"])
            }
            if wentLive.value { backoff = .milliseconds(50) }
            setLive(false)
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
        setLive(false)
    }

    /// One connection's life: connect, LISTEN, catch up, go live, apply notifications until the connection ends.
    ///
    /// The listening runs in a task of its own that this function stops waiting for when the connection closes: a
    /// statement sent as the server closed the connection may never complete, and the feed must reconnect anyway.
    /// The turn's commits are applied only while it is the newest connection (`advance`), so a statement that
    /// completes after its turn was given up on changes nothing.
    private func listenOnce(_ wentLive: WentLive) async throws {
        var connectionConfiguration = try configuration.connectionConfiguration()
        connectionConfiguration.options.additionalStartupParameters.append(("application_name", applicationName))
        let id = state.withLock { state -> Int in
            state.connections += 1
            return state.connections
        }
        let connection = try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(),
                                                              configuration: connectionConfiguration, id: id, logger: logger)
        let channel = channel
        do {
            try await withTaskCancellationHandler {
                try await Self.untilClosed(connection) {
                    try await connection.listen(on: channel) { notifications in
                        // Listening before catching up: a commit after the catch-up's snapshot is heard.
                        try await self.catchUp(connection, turn: id)
                        guard self.setLive(true, turn: id) else { return }
                        wentLive.value = true
                        for try await notification in notifications {
                            try await self.receive(notification.payload, connection, turn: id)
                        }
                    }
                }
            } onCancel: {
                connection.close().whenComplete { _ in }
            }
        } catch {
            setLive(false)
            try? await connection.close()
            throw error
        }
        setLive(false)
        try? await connection.close()
    }

    /// Runs `body` in a task of its own until it returns or `connection` closes, whichever comes first; the
    /// connection's close throws (and cancels the task, which may stay suspended on a statement that never ends).
    private static func untilClosed(_ connection: PostgresConnection, _ body: @escaping @Sendable () async throws -> Void) async throws {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, any Error>, Never>) in
            let caller = Mutex<CheckedContinuation<Result<Void, any Error>, Never>?>(continuation)
            let work = Task {
                let result: Result<Void, any Error>
                do {
                    result = .success(try await body())
                } catch {
                    result = .failure(error)
                }
                caller.withLock { $0.take() }?.resume(returning: result)
            }
            connection.closeFuture.whenComplete { _ in
                guard let waiting = caller.withLock({ $0.take() }) else { return }
                work.cancel()
                waiting.resume(returning: .failure(PortcullisError(.storeUnavailable, "the change feed's connection closed")))
            }
        }
        try result.get()
    }

    /// Applies the commit a notification announces, reading from the database whatever comes before it or is not
    /// in the payload.
    private func receive(_ payload: String, _ connection: PostgresConnection, turn: Int) async throws {
        let (head, keys) = PostgresStore.parsePayload(payload)
        guard let revision = head else {
            try await catchUp(connection, turn: turn)
            return
        }
        if revision <= appliedRevision { return }
        // Only the next revision, and only when its keys travelled (a lone revision may have had too many).
        if revision == appliedRevision + 1, let keys {
            try advance(Commit(revision: revision, changed: keys), turn: turn)
        } else {
            try await catchUp(connection, turn: turn)
        }
    }

    /// Applies, in order, every commit after `appliedRevision` the database has: from `commit_log` when it holds
    /// each of them, else (pruned, or written before the log existed) from `versions`, in one snapshot.
    private func catchUp(_ connection: PostgresConnection, turn: Int) async throws {
        let from = appliedRevision
        try await PostgresStore.execute(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
        do {
            let current = try await PostgresStore.query(connection, "SELECT value FROM revision WHERE id = 1", logger: logger)
                .first?.decode(Int64.self) ?? 0
            if current > from {
                let rows = try await PostgresStore.query(
                    connection, "SELECT revision, keys FROM commit_log WHERE revision > $1 ORDER BY revision", .of(from), logger: logger)
                let commits = try rows.map { row in
                    let (revision, keys) = try row.decode((Int64, [String]).self)
                    return Commit(revision: revision, changed: keys.map(DependencyKey.init(rawValue:)))
                }
                let complete = commits.count == Int(current - from) && commits.first?.revision == from + 1
                    && commits.last?.revision == current
                if complete {
                    for commit in commits { try advance(commit, turn: turn) }
                } else {
                    try await reload(connection, after: from, upTo: current, turn: turn)
                }
            }
            try await PostgresStore.execute(connection, "COMMIT", logger: logger)
        } catch {
            // Not on a closed connection: a statement sent there may never complete.
            if !connection.isClosed { try? await PostgresStore.execute(connection, "ROLLBACK", logger: logger) }
            throw error
        }
    }

    /// Applies the versions moved after `from` as commits of their revisions, then the revision `current` (inside
    /// the caller's snapshot, so the versions are exactly those of `current`).
    private func reload(_ connection: PostgresConnection, after from: Int64, upTo current: Int64, turn: Int) async throws {
        logger.info("change feed reloads versions: the commit log lacks revisions", metadata: ["after": "\(from)", "upTo": "\(current)"])
        let rows = try await PostgresStore.query(connection, "SELECT key, version FROM versions WHERE version > $1", .of(from),
                                                 logger: logger)
        var byRevision: [Int64: [DependencyKey]] = [:]
        for row in rows {
            let (key, version) = try row.decode((String, Int64).self)
            byRevision[version, default: []].append(DependencyKey(rawValue: key))
        }
        for revision in byRevision.keys.sorted() where revision < current {
            try advance(Commit(revision: revision, changed: byRevision[revision] ?? []), turn: turn)
        }
        try advance(Commit(revision: current, changed: byRevision[current] ?? []), turn: turn)
    }

    /// Applies one commit and wakes the waiters it satisfies; the feed's current connection calls it, in revision
    /// order.
    /// - Throws: `CancellationError` when `turn` is no longer the newest connection (its turn was given up on; the
    ///   newer one applies in order from `appliedRevision`). Checked and applied under the lock, so two turns never
    ///   apply at once.
    private func advance(_ commit: Commit, turn: Int) throws {
        let ready = try state.withLock { state -> [Waiter] in
            guard state.connections == turn else { throw CancellationError() }
            apply(commit)
            state.applied = max(state.applied, commit.revision)
            let applied = state.applied
            return Self.take(from: &state.waiters) { $0.map { $0 <= applied } ?? false }
        }
        for waiter in ready { waiter.continuation.resume(returning: true) }
    }

    private func setLive(_ live: Bool) {
        let ready = state.withLock { state in Self.mark(&state, live: live) }
        for waiter in ready { waiter.continuation.resume(returning: true) }
    }

    /// Reports the feed live on behalf of connection `turn`: false, and nothing changes, when a newer connection has
    /// replaced it.
    private func setLive(_ live: Bool, turn: Int) -> Bool {
        let ready = state.withLock { state -> [Waiter]? in
            guard state.connections == turn else { return nil }
            return Self.mark(&state, live: live)
        }
        for waiter in ready ?? [] { waiter.continuation.resume(returning: true) }
        return ready != nil
    }

    /// Records whether the feed is live; returns the waiters for liveness to wake when it is.
    private static func mark(_ state: inout State, live: Bool) -> [Waiter] {
        if state.live && !live { state.disconnections += 1 }
        state.live = live
        return live ? take(from: &state.waiters) { $0 == nil } : []
    }

    /// Removes and returns the waiters whose wanted revision (nil: liveness) `satisfied` accepts.
    private static func take(from waiters: inout [Waiter], where satisfied: (Int64?) -> Bool) -> [Waiter] {
        let ready = waiters.filter { satisfied($0.revision) }
        waiters.removeAll { satisfied($0.revision) }
        return ready
    }
}

/// Whether one connection of the feed went live (its reconnect backoff then starts again from the shortest).
private final class WentLive: Sendable {
    private let flag = Atomic(false)
    var value: Bool {
        get { flag.load(ordering: .relaxed) }
        set { flag.store(newValue, ordering: .relaxed) }
    }
}
