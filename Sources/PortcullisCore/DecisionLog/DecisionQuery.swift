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

    /// The statement for the filters present and its arguments, in `?N` order: `?1`, `?2` bound the key, `?3` is the
    /// limit. One filter leads, through its index, in the order user, resource, type, outcome (the most selective
    /// first); the others are written `+column` so that the planner never trades that index for a weaker one.
    func statement() -> (sql: String, arguments: [Argument]) {
        var conditions = ["seq >= ?1", "seq < ?2"]
        var arguments: [Argument] = [
            .integer(since.map(DecisionID.firstKey(atOrAfter:)) ?? 0),
            .integer(min(cursor ?? .max, until.map(DecisionID.firstKey(atOrAfter:)) ?? .max)),
            .integer(Int64(limit)),
        ]
        var leading = true
        func add(_ column: String, _ argument: Argument?) {
            guard let argument else { return }
            arguments.append(argument)
            conditions.append("\(leading ? "" : "+")\(column) = ?\(arguments.count)")
            leading = false
        }
        add("user_id", userId.map(Argument.text))
        add("resource_id", resourceId.map(Argument.text))
        add("resource_type", resourceType.map(Argument.text))
        add("allowed", allowed.map { .integer($0 ? 1 : 0) })
        let sql = "SELECT \(Self.columns) FROM decisions WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq DESC LIMIT ?3"
        return (sql, arguments)
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
