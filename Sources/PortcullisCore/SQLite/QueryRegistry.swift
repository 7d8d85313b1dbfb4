import PortcullisModel
import Synchronization

/// Every SQL statement the store runs on its raw connections, registered by name and class, with its calls,
/// latency and slow count; and the prepared-statement cache's hit rate.
///
/// Statements find their entry once, when they are prepared; an execution then costs two clock reads, three relaxed
/// atomic adds and one histogram increment.
public final class QueryRegistry: Sendable {
    /// One statement's figures.
    public final class Entry: Sendable {
        /// The statement's name in reports, e.g. `authz.generation`; `unregistered` for SQL nobody named.
        public let name: String
        /// The statement's SQL, as prepared.
        public let sql: String
        /// How much the statement matters; sets the threshold past which an execution counts as slow.
        public let queryClass: QueryClass
        let calls = Atomic<Int>(0)
        let slow = Atomic<Int>(0)
        let total = Atomic<Int>(0)
        let latency = LatencyHistogram()

        init(name: String, sql: String, queryClass: QueryClass) {
            self.name = name
            self.sql = sql
            self.queryClass = queryClass
        }

        @inline(__always)
        package func record(nanoseconds: Int64) {
            calls.add(1, ordering: .relaxed)
            total.add(Int(nanoseconds), ordering: .relaxed)
            if nanoseconds > queryClass.slowThresholdNanoseconds { slow.add(1, ordering: .relaxed) }
            latency.record(nanoseconds: nanoseconds)
        }

        /// Executions recorded so far.
        public var callCount: Int { calls.load(ordering: .relaxed) }
        /// Time spent in every execution so far, in nanoseconds (`portcullis_query_latency_seconds_sum`).
        public var totalNanoseconds: Int { total.load(ordering: .relaxed) }
        /// Executions slower than `queryClass.slowThresholdNanoseconds`.
        public var slowCount: Int { slow.load(ordering: .relaxed) }
        /// Execution latency: time spent inside `sqlite3_step`, summed over the rows of one execution.
        public var summary: LatencyHistogram.Summary { latency.summary }
    }

    /// Prepared statements kept per connection before the least recently used is finalized.
    public let statementCacheCapacity: Int
    private let entries = Mutex<(bySQL: [String: Entry], ordered: [Entry])>(([:], []))
    let cacheHits = Atomic<Int>(0)
    let cacheMisses = Atomic<Int>(0)
    let cacheEvictions = Atomic<Int>(0)
    /// Prepared statements held across all connections.
    let cachedStatements = Atomic<Int>(0)
    /// Receives the duration of every read transaction (or single-statement read) on the decision path: the
    /// monitor's `database_query` series.
    let transactionObserver: (@Sendable (Int64) -> Void)?

    /// An empty registry. A backend creates one when none is given; the composition root passes its own to hear
    /// `transactionObserver` (nanoseconds per read transaction on the decision path) and to show the figures.
    ///
    /// ```swift
    /// let queries = QueryRegistry(transactionObserver: { nanoseconds in monitor.record(.databaseQuery, nanoseconds: nanoseconds) })
    /// let store = try StoreBackend.open(configuration, queries: queries, onCommit: versions.apply)
    /// ```
    public init(statementCacheCapacity: Int = 500, transactionObserver: (@Sendable (Int64) -> Void)? = nil) {
        self.statementCacheCapacity = statementCacheCapacity
        self.transactionObserver = transactionObserver
    }

    /// Registers `sql` under `name`; registering the same SQL again keeps the first entry.
    @discardableResult
    public func register(_ name: String, _ sql: String, class queryClass: QueryClass) -> Entry {
        entries.withLock { entries in
            if let existing = entries.bySQL[sql] { return existing }
            let entry = Entry(name: name, sql: sql, queryClass: queryClass)
            entries.bySQL[sql] = entry
            entries.ordered.append(entry)
            return entry
        }
    }

    /// The entry for `sql`, registering it as `unregistered` (class normal) if nobody named it, so nothing runs unseen.
    package func entry(for sql: String) -> Entry {
        if let entry = entries.withLock({ $0.bySQL[sql] }) { return entry }
        return register("unregistered", sql, class: .normal)
    }

    /// Every entry, in the order first registered.
    public var all: [Entry] { entries.withLock { $0.ordered } }

    /// `capacity` is per connection; `size` counts prepared statements across the pool's connections.
    public var statementCache: StatementCacheReport {
        let hits = cacheHits.load(ordering: .relaxed), misses = cacheMisses.load(ordering: .relaxed)
        return StatementCacheReport(capacity: statementCacheCapacity, size: cachedStatements.load(ordering: .relaxed), hits: hits, misses: misses,
                                    evictions: cacheEvictions.load(ordering: .relaxed),
                                    hitRate: hits + misses == 0 ? 0 : (Double(hits) / Double(hits + misses) * 10000).rounded() / 10000)
    }
}
