import PortcullisModel

/// The filters and page of `GET /api/v1/audit/decisions`: every filter optional, newest first.
public struct DecisionQuery: Sendable, Equatable {
    /// Most entries a page may hold, and the default.
    public static let maxLimit = 1000, defaultLimit = 100

    /// Entries about this user (or account).
    public var userId: String?
    /// `generation`, `project`, `team` or `account`.
    public var resourceType: String?
    /// Entries about this resource.
    public var resourceId: String?
    /// Only allowed (true) or only denied (false) answers.
    public var allowed: Bool?
    /// Decided at or after this Unix millisecond.
    public var since: Int64?
    /// Decided before this Unix millisecond.
    public var until: Int64?
    /// Page size, 1...`maxLimit`.
    public var limit = defaultLimit
    /// The previous page's `next_cursor`: entries older than it.
    public var cursor: Int64?

    /// A query with no filter: the newest `defaultLimit` entries.
    public init() {}

    /// The resource types an entry can have.
    public static let resourceTypes = ResourceType.allCases.map(\.rawValue) + [StoredDecision.accountType]

    /// The keys a page may hold: `[low, high)`, from `since`, `until` and `cursor`.
    var keyRange: (low: Int64, high: Int64) {
        (since.map(DecisionID.firstKey(atOrAfter:)) ?? 0, min(cursor ?? .max, until.map(DecisionID.firstKey(atOrAfter:)) ?? .max))
    }

    /// The postings that lead the query, in the order user, resource, type, outcome (the most selective first); nil
    /// when no filter is set and the query is one range of keys.
    var postingsLookup: (kind: DecisionLookup, id: String)? {
        DecisionLookup.lead(user: userId, resource: resourceId, type: resourceType, allowed: allowed)
    }

    /// The statement of a query without filters, and its arguments: `?1`, `?2` bound the key, `?3` is the limit.
    func statement() -> (sql: String, arguments: [Argument]) {
        let (low, high) = keyRange
        return ("SELECT \(Self.columns) FROM decisions WHERE seq >= ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
                [.integer(low), .integer(high), .integer(Int64(limit))])
    }

    /// The statement a postings-led query reads each listed entry with: `?1` is its key, and it returns the entry only
    /// if it matches every filter (a postings row may list entries of another id with the same hash).
    func entryStatement() -> (sql: String, arguments: [Argument]) {
        var conditions = ["seq = ?1"], arguments: [Argument] = []
        for (column, argument) in filters {
            arguments.append(argument)
            conditions.append("\(column) = ?\(arguments.count + 1)")
        }
        return ("SELECT \(Self.columns) FROM decisions WHERE \(conditions.joined(separator: " AND "))", arguments)
    }

    /// The statement reading a lookup's postings rows, newest first: `?1` the hash, `?2`, `?3` the range of their last
    /// keys.
    static let postingsSQL = "SELECT last_key, keys FROM decision_postings WHERE hash = ?1 AND last_key >= ?2 AND last_key < ?3 ORDER BY last_key DESC"

    /// The filters set, in the order user, resource, type, outcome.
    private var filters: [(column: String, argument: Argument)] {
        var filters: [(String, Argument)] = []
        if let userId { filters.append(("user_id", .text(userId))) }
        if let resourceId { filters.append(("resource_id", .text(resourceId))) }
        if let resourceType { filters.append(("resource_type", .text(resourceType))) }
        if let allowed { filters.append(("allowed", .integer(allowed ? 1 : 0))) }
        return filters
    }

    /// A bound value.
    enum Argument: Equatable {
        case integer(Int64), text(String)
    }

    /// The columns `DecisionLogFile` reads an entry from, in order.
    static let columns = "seq, origin, revision, caller_kind, caller_id, user_id, action, resource_type, resource_id, allowed, reason, rules, "
        + "client_address, as_of"

    /// Every combination of filters, for the query-plan test.
    static var allShapes: [DecisionQuery] {
        (0..<16).map { bits in
            var query = DecisionQuery()
            if bits & 1 != 0 { query.userId = "u" }
            if bits & 2 != 0 { query.resourceId = "r" }
            if bits & 4 != 0 { query.resourceType = "generation" }
            if bits & 8 != 0 { query.allowed = false }
            return query
        }
    }
}
