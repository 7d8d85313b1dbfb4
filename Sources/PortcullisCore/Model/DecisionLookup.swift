/// What the decision log's filters look up through its postings rows, on both backends (the SQLite file's
/// `DecisionPostings`, `PostgresDecisionLog`): a user id, a resource id, a resource type (or `account`), an outcome.
/// The raw values are the SQLite file's hash seed and PostgreSQL's `decision_postings.kind`: frozen.
public enum DecisionLookup: UInt8, Sendable, Hashable {
    case user = 1, resource = 2, type = 3, outcome = 4

    /// The widest range of entry keys one postings row covers, on both backends: 4 s of decision ids (Unix
    /// milliseconds << 21, `DecisionID`). A batch is a second of traffic; entries that reached the queue late, or a
    /// clock that stepped, only split a row in two. `schema/postgres/0006_decision_postings.sql` spells it in SQL.
    public static let postingsSpan: Int64 = 4_000 << 21

    /// The id an outcome is looked up by.
    public static func outcome(_ allowed: Bool) -> String { allowed ? "allowed" : "denied" }

    /// Calls `body` with every lookup an entry is listed under: its user and resource (when it has them), its type and
    /// its outcome. The one place that says which lookups an entry has.
    public static func forEach(user: String?, resource: String?, type: String, allowed: Bool, _ body: (DecisionLookup, String) -> Void) {
        if let user { body(.user, user) }
        if let resource { body(.resource, resource) }
        body(.type, type)
        body(.outcome, outcome(allowed))
    }

    /// The lookup whose postings lead a page with these filters: the most selective set, in the order user, resource,
    /// type, outcome; nil when none is and the page is one range of keys.
    public static func lead(user: String?, resource: String?, type: String?, allowed: Bool?) -> (kind: DecisionLookup, id: String)? {
        if let user { return (.user, user) }
        if let resource { return (.resource, resource) }
        if let type { return (.type, type) }
        if let allowed { return (.outcome, outcome(allowed)) }
        return nil
    }
}
