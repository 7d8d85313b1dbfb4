import PortcullisModel

/// What a node must establish before it answers from its caches, when other nodes write to the same data
/// (SPEC 8.4). A single SQLite node needs none: its writes apply to its caches before they return. On PostgreSQL,
/// another node's write reaches this node's versions through the change feed, a moment after it returned there, so
/// a request first learns how far the database is and waits until this node has applied that far.
///
/// ```swift
/// let start = monotonicNanoseconds()          // when the request arrived
/// try await gate?.awaitCurrent(since: start)  // then: caches reflect every write that returned before `start`
/// ```
///
/// A caller that cannot suspend (the fast path, on an event loop) asks `isCurrent(since:)` and, when it is not,
/// `whenCurrent(since:_:)` calls it back once the node is.
public protocol ConsistencyGate: Sendable {
    /// Whether this node has applied every write that had returned anywhere before `since` (a
    /// `monotonicNanoseconds()` reading), so that its caches may answer `consistency: "full"`: no wait, no read.
    func isCurrent(since: Int64) -> Bool

    /// Whether this node has applied every write that returned more than `nanoseconds` ago: what a
    /// `consistency: "minimize_latency"` answer may lag by (`cache.max_staleness_ms`). No wait, no read; a gate may
    /// start a read in the background so that a steady stream of such checks stays within the bound.
    func isCurrent(withinNanoseconds nanoseconds: Int64) -> Bool

    /// Calls `done` once, from any thread, when this node has applied every write that had returned before `since`,
    /// or with the error `awaitCurrent(since:)` would throw.
    func whenCurrent(since: Int64, _ done: @escaping @Sendable (Result<Void, PortcullisError>) -> Void)

    /// Returns once this node has applied `revision` (`consistency: {"at_least_revision": N}`).
    /// - Throws: `invalid_field` (400) when the database has not reached `revision`; `store_unavailable` (503) when
    ///   the node has not applied it within the gate's wait.
    func awaitRevision(_ revision: Int64) async throws(PortcullisError)

    /// What the gate knows now, for health and metrics.
    var status: ConsistencyGateStatus { get }
}

/// A gate's state: whether its change feed is live, what it has applied, and how recently it proved the node current.
public struct ConsistencyGateStatus: Sendable, Equatable {
    /// Whether the node's change feed is connected and caught up (else checks it cannot prove current get 503).
    public var live: Bool
    /// The revision up to which every write's versions are applied on this node.
    public var appliedRevision: Int64
    /// Revision reads the gate has made.
    public var reads: Int
    /// How long ago the newest completed read began, in milliseconds; nil before the first.
    public var provenAgoMilliseconds: Double?

    public init(live: Bool, appliedRevision: Int64, reads: Int, provenAgoMilliseconds: Double?) {
        self.live = live
        self.appliedRevision = appliedRevision
        self.reads = reads
        self.provenAgoMilliseconds = provenAgoMilliseconds
    }
}

extension ConsistencyGate {
    /// Returns once this node has applied every write that had returned anywhere before `since`.
    /// - Throws: `store_unavailable` (503, `Retry-After`) when the node cannot prove it soon: its change feed is not
    ///   live, the database does not answer, or applying takes longer than the gate waits.
    public func awaitCurrent(since start: Int64) async throws(PortcullisError) {
        if isCurrent(since: start) { return }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, PortcullisError>, Never>) in
            whenCurrent(since: start) { continuation.resume(returning: $0) }
        }
        try result.get()
    }
}
