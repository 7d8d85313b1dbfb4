import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite

/// What a backend tells the monitor about itself: the revision, its statements and their plans, its size on disk.
public protocol StoreDiagnostics: Sendable {
    /// The current data revision.
    func revision() throws -> Int64
    /// Every statement of the read path with its figures and plan, the prepared-statement cache, and index
    /// recommendations for statements that scan (empty for a backend without statements).
    func statements() -> StatementsReport
    /// Every statement's running figures and the prepared-statement cache, without plans: what a Prometheus scrape
    /// reads, every few seconds, so it must not run `EXPLAIN QUERY PLAN`.
    func statementFigures() -> StatementFiguresReport
    /// Bytes of the database and of its write-ahead log, where the backend has them.
    func storageBytes() -> (database: Int?, log: Int?)
}

/// The statements a backend runs on the read path, as `GET /api/v1/performance/queries` shows them.
public struct StatementsReport: Sendable, Codable, Equatable {
    /// Every registered statement, in registration order.
    public var queries: [StatementReport]
    /// The prepared-statement cache's figures.
    public var statementCache: StatementCacheReport
    /// One per table a statement's plan scans in full; empty when every statement uses an index.
    public var recommendations: [IndexRecommendation]

    /// A report as a backend builds it.
    public init(queries: [StatementReport], statementCache: StatementCacheReport, recommendations: [IndexRecommendation]) {
        self.queries = queries
        self.statementCache = statementCache
        self.recommendations = recommendations
    }

    enum CodingKeys: String, CodingKey { case queries, statementCache = "statement_cache", recommendations }
}

/// The statements' running figures without their plans (`StoreDiagnostics.statementFigures()`).
public struct StatementFiguresReport: Sendable, Equatable {
    /// Every registered statement, in registration order.
    public var statements: [StatementFigures]
    /// The prepared-statement cache's figures.
    public var statementCache: StatementCacheReport

    /// A report as a backend builds it.
    public init(statements: [StatementFigures], statementCache: StatementCacheReport) {
        self.statements = statements
        self.statementCache = statementCache
    }
}

/// One statement's figures since start: calls, slow calls, total time and percentiles.
public struct StatementFigures: Sendable, Equatable {
    /// The statement's registered name, e.g. `authz.generation`.
    public var name: String
    /// How much the statement matters.
    public var queryClass: QueryClass
    /// Executions since start.
    public var calls: Int
    /// Executions slower than the class's threshold.
    public var slowCount: Int
    /// Time spent in every execution, in nanoseconds.
    public var totalNanoseconds: Int
    /// Median execution time, in milliseconds.
    public var p50Milliseconds: Double
    /// 99th-percentile execution time, in milliseconds.
    public var p99Milliseconds: Double

    /// A statement's figures as a backend builds them.
    public init(name: String, queryClass: QueryClass, calls: Int, slowCount: Int, totalNanoseconds: Int, p50Milliseconds: Double,
                p99Milliseconds: Double) {
        self.name = name
        self.queryClass = queryClass
        self.calls = calls
        self.slowCount = slowCount
        self.totalNanoseconds = totalNanoseconds
        self.p50Milliseconds = p50Milliseconds
        self.p99Milliseconds = p99Milliseconds
    }
}

/// One statement with its figures and plan.
public struct StatementReport: Sendable, Codable, Equatable {
    /// The statement's registered name, e.g. `authz.generation`.
    public var name: String
    /// How much the statement matters (`class` in JSON).
    public var queryClass: QueryClass
    /// The statement's SQL.
    public var sql: String
    /// Executions since start.
    public var calls: Int
    /// Median execution time, in milliseconds.
    public var p50Milliseconds: Double
    /// 99th-percentile execution time, in milliseconds.
    public var p99Milliseconds: Double
    /// Executions slower than `slowThresholdMilliseconds`.
    public var slowCount: Int
    /// The class's threshold, in milliseconds (5 for `critical`, 20 `high`, 100 `normal`, 1,000 `low`).
    public var slowThresholdMilliseconds: Double
    /// `EXPLAIN QUERY PLAN`'s detail lines, parameters unbound; empty when the plan could not be read.
    public var plan: [String]
    /// Whether the plan reaches its rows through an index; nil for a statement that reads no table.
    public var usesIndex: Bool?
    /// Tables the plan reads in full.
    public var scans: [String]

    /// A statement's report as a backend builds it.
    public init(name: String, queryClass: QueryClass, sql: String, calls: Int, p50Milliseconds: Double, p99Milliseconds: Double, slowCount: Int,
                slowThresholdMilliseconds: Double, plan: [String], usesIndex: Bool?, scans: [String]) {
        self.name = name
        self.queryClass = queryClass
        self.sql = sql
        self.calls = calls
        self.p50Milliseconds = p50Milliseconds
        self.p99Milliseconds = p99Milliseconds
        self.slowCount = slowCount
        self.slowThresholdMilliseconds = slowThresholdMilliseconds
        self.plan = plan
        self.usesIndex = usesIndex
        self.scans = scans
    }

    /// Written in full, `uses_index: null` included, so every statement has the same shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(queryClass, forKey: .queryClass)
        try container.encode(sql, forKey: .sql)
        try container.encode(calls, forKey: .calls)
        try container.encode(p50Milliseconds, forKey: .p50Milliseconds)
        try container.encode(p99Milliseconds, forKey: .p99Milliseconds)
        try container.encode(slowCount, forKey: .slowCount)
        try container.encode(slowThresholdMilliseconds, forKey: .slowThresholdMilliseconds)
        try container.encode(plan, forKey: .plan)
        try container.encode(usesIndex, forKey: .usesIndex)
        try container.encode(scans, forKey: .scans)
    }

    enum CodingKeys: String, CodingKey {
        case name, queryClass = "class", sql, calls, p50Milliseconds = "p50_ms", p99Milliseconds = "p99_ms", slowCount = "slow_count"
        case slowThresholdMilliseconds = "slow_threshold_ms", plan, usesIndex = "uses_index", scans
    }
}

/// An index that would spare a statement its table scan.
public struct IndexRecommendation: Sendable, Codable, Equatable {
    /// The name of the statement that scans.
    public var statement: String
    /// The table it scans (resolved from the plan's alias).
    public var table: String
    /// The columns the statement compares for equality on that table: the leading columns an index would need.
    public var columns: [String]
    /// Why, for people (`the plan scans <table> in full`).
    public var reason: String
    /// A `CREATE INDEX` statement to consider, or advice when no filtered column was found; never applied automatically.
    public var suggestion: String

    /// A recommendation as a backend builds it.
    public init(statement: String, table: String, columns: [String], reason: String, suggestion: String) {
        self.statement = statement
        self.table = table
        self.columns = columns
        self.reason = reason
        self.suggestion = suggestion
    }
}

/// Where a starting process learns the versions committed before it: the persisted version of every dependency a
/// write has moved, and the revision they are current for (what a `VersionClock` loads before anything is served).
public protocol VersionStore: Sendable {
    /// Every persisted dependency version and the current revision, read together; feed it to `VersionClock.load(_:)`.
    func persistedVersions() throws -> (versions: [(key: DependencyKey, version: Int64)], revision: Int64)
    /// A value made once with the database (`database_identity`), the same for as long as it holds one history of
    /// revisions: the decision cache's file records it and drops its entries beside any other (docs/caching.md).
    func databaseIdentity() throws -> String
}
