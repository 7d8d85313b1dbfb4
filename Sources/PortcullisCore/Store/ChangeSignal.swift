import PortcullisModel
import Synchronization

/// Tells change-stream readers that the log has grown, and counts what was recorded: fed every `Commit` by the
/// composition root (beside the cache's `VersionClock`).
///
/// A reader does not receive changes here, only "the revision is now at least N": each subscription buffers the newest
/// revision alone (`bufferingNewest(1)`), so a slow reader holds one number, never a queue, and a writer never waits
/// for it. The reader then pages the log itself (`ChangeStore.changes`).
///
/// ```swift
/// let signal = ChangeSignal()
/// let store = try SQLiteStore(configuration) { commit in signal.announce(commit) }
/// for await _ in signal.subscribe().wakeUps { /* read the log after the position reached so far */ }
/// ```
public final class ChangeSignal: Sendable {
    private let subscribers = Mutex<[Int: AsyncStream<Int64>.Continuation]>([:])
    private let nextSubscriber = Atomic<Int>(0)
    private let tally = Mutex(ChangeTally())

    /// A signal with no subscriber and nothing counted.
    public init() {}

    /// Wakes every subscriber when `commit` recorded changes (a sign-in records none) and counts them.
    public func announce(_ commit: Commit) {
        guard commit.changes.total > 0 else { return }
        count(commit)
        wake(revision: commit.revision)
    }

    /// Counts what `commit` recorded without waking anyone: on PostgreSQL this node's own commits are counted as they
    /// commit, and every node's wake the readers when the change feed applies them (`wake(revision:)`).
    public func count(_ commit: Commit) {
        guard commit.changes.total > 0 else { return }
        tally.withLock { tally in
            for entity in ChangeEntity.allCases where commit.changes[entity] > 0 { tally.add(entity, count: commit.changes[entity]) }
        }
    }

    /// Wakes every subscriber for a commit whose changes are not known here: on PostgreSQL the change feed applies
    /// every node's commits by revision and keys alone. A reader then reads the log after its position, which may
    /// hold nothing new (a commit that recorded no change): one read, never a missed change. Counts nothing (`count`).
    public func wake(revision: Int64) {
        subscribers.withLock { subscribers in
            for continuation in subscribers.values { continuation.yield(revision) }
        }
    }

    /// One reader's wake-ups: the revision of each commit that recorded changes from now on (the newest one only
    /// when the reader lags behind), and whatever `wake()` adds. Ends when the reader stops iterating (the
    /// subscription is then dropped), on `end()`, or on `finishAll()`.
    public struct Subscription: Sendable {
        /// The wake-ups, newest first out.
        public let wakeUps: AsyncStream<Int64>
        private let continuation: AsyncStream<Int64>.Continuation

        init(wakeUps: AsyncStream<Int64>, continuation: AsyncStream<Int64>.Continuation) {
            self.wakeUps = wakeUps
            self.continuation = continuation
        }

        /// Wakes the reader without a new revision (a keep-alive tick): yields -1.
        public func wake() { continuation.yield(-1) }

        /// Ends this subscription: the reader's loop finishes.
        public func end() { continuation.finish() }
    }

    /// Subscribes to wake-ups from now on.
    public func subscribe() -> Subscription {
        let (stream, continuation) = AsyncStream<Int64>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = nextSubscriber.add(1, ordering: .relaxed).newValue
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = continuation }
        return Subscription(wakeUps: stream, continuation: continuation)
    }

    /// Ends every subscription (the server is shutting down): each reader's loop finishes.
    public func finishAll() {
        let all = subscribers.withLock { subscribers in
            defer { subscribers.removeAll() }
            return Array(subscribers.values)
        }
        for continuation in all { continuation.finish() }
    }

    /// How many subscriptions are open (open streams).
    public var subscriberCount: Int { subscribers.withLock { $0.count } }

    /// Changes this process recorded since start, per entity (`portcullis_changes_total`).
    public var recorded: ChangeTally { tally.withLock { $0 } }
}
