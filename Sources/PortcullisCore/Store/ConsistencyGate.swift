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
public protocol ConsistencyGate: Sendable {
    /// Returns once this node has applied every write that had returned anywhere before `since` (a
    /// `monotonicNanoseconds()` reading), so that its caches may answer `consistency: "full"`.
    /// - Throws: `store_unavailable` (503, `Retry-After`) when the node cannot prove it soon: its change feed is not
    ///   live, the database does not answer, or applying takes longer than the gate waits.
    func awaitCurrent(since: Int64) async throws(PortcullisError)

    /// Returns once this node has applied `revision` (`consistency: {"at_least_revision": N}`).
    /// - Throws: `invalid_field` (400) when the database has not reached `revision`; `store_unavailable` (503) when
    ///   the node has not applied it within the gate's wait.
    func awaitRevision(_ revision: Int64) async throws(PortcullisError)
}
