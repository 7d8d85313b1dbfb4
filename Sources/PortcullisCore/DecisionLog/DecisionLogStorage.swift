import PortcullisModel

/// Where a `DecisionLog` keeps its entries: the node's SQLite file (`DecisionLogFile`, the default) or the database
/// the nodes of a PostgreSQL deployment share (`PostgresDecisionLog`). The log's queue, modes, counters, flushing and
/// read-your-answers rule sit above it and are the same on both.
///
/// Calls are synchronous and may wait for I/O: the background writer and the audit reads make them, never the
/// request path (which only enqueues).
protocol DecisionLogStorage: Sendable {
    /// Writes `records` in one transaction (on PostgreSQL one round trip); an id already present is skipped.
    func insert(_ records: [DecisionRecord]) throws

    /// One page of entries matching `query`, newest first, and the next page's cursor (nil on the last page).
    func page(_ query: DecisionQuery) throws -> (items: [StoredDecision], nextCursor: Int64?)

    /// The entry with `id`, if the log holds it.
    func entry(_ id: DecisionID) throws -> StoredDecision?

    /// Deletes the entries whose key is below `key` (older than the retention horizon), then, where the storage is
    /// capped, the oldest beyond `maxBytes`. Returns how many went (0 when another node is sweeping).
    func sweep(before key: Int64, maxBytes: Int64) throws -> Int
}

extension DecisionLogFile: DecisionLogStorage {
    func sweep(before key: Int64, maxBytes: Int64) throws -> Int {
        try delete(before: key) + cap(bytes: maxBytes)
    }
}
