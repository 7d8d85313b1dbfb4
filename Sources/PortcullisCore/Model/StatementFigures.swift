/// The vocabulary of a backend's statement figures, shared by the raw SQLite layer that measures them and the store
/// protocols that report them.

/// How much a statement matters, and how slow is too slow for it.
public enum QueryClass: String, Sendable, Codable, CaseIterable {
    /// On the authorization and authentication path: every decision waits for it.
    case critical
    /// On an end user's request path (generation access, `/me`).
    case high
    /// Everything else, including statements run without being registered (the registry files them as `unregistered`).
    case normal
    /// Transaction control and housekeeping.
    case low

    /// An execution slower than this counts as slow.
    public var slowThresholdNanoseconds: Int64 {
        switch self {
        case .critical: 5_000_000
        case .high: 20_000_000
        case .normal: 100_000_000
        case .low: 1_000_000_000
        }
    }
}

/// The prepared-statement cache's figures (capacity 500 per connection in the SQLite backend).
public struct StatementCacheReport: Sendable, Codable, Equatable {
    /// Statements kept prepared per connection before the least recently used is finalized.
    public var capacity: Int
    /// Statements prepared now, across every connection of the pool.
    public var size: Int
    /// Executions that found their statement already prepared.
    public var hits: Int
    /// Executions that had to prepare (compile) their statement.
    public var misses: Int
    /// Prepared statements finalized to make room.
    public var evictions: Int
    /// `hits / (hits + misses)`, 0...1 to four decimals; 0 before any execution.
    public var hitRate: Double

    /// Figures as a backend measures them (`QueryRegistry.statementCache`).
    public init(capacity: Int, size: Int, hits: Int, misses: Int, evictions: Int, hitRate: Double) {
        self.capacity = capacity
        self.size = size
        self.hits = hits
        self.misses = misses
        self.evictions = evictions
        self.hitRate = hitRate
    }

    enum CodingKeys: String, CodingKey { case capacity, size, hits, misses, evictions, hitRate = "hit_rate" }
}
