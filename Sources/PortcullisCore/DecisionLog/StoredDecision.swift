import PortcullisModel
import PortcullisPolicy

/// One entry of the decision log as the API and the export return it:
/// `{decision_id, at, revision, caller, user_id, action, resource_type, resource_id, allowed, reason, rules, client_address, as_of}`.
///
/// `rules` is the explanation array of SPEC section 4, rendered from the rule path stored when the answer was decided
/// (for a cached answer, the path of the decision that produced it); an account entry has none.
public struct StoredDecision: Sendable, Equatable, Encodable {
    /// `resource_type` of sign-ins and sign-outs.
    public static let accountType = "account"

    /// The entry's id (`DecisionID.text`).
    public var decisionId: String
    /// When it was decided (RFC 3339 UTC, milliseconds).
    public var at: String
    /// The data revision the answer reflects.
    public var revision: Int64
    /// Who asked; nil for a sign-in attempt.
    public var caller: DecisionCaller?
    /// The user the question was about, or the account.
    public var userId: String?
    /// The action (`read`, …, `sign_in`, `sign_out`).
    public var action: String
    /// `generation`, `project`, `team` or `account`.
    public var resourceType: String
    /// The resource's id (for an account, the user's).
    public var resourceId: String?
    /// The answer.
    public var allowed: Bool
    /// The reason code answered (`owner`, `no_grant`, …, `invalid_credentials`, `throttled`).
    public var reason: String
    /// The rules the answer went through.
    public var rules: [RuleOutcome]
    /// The client's address, for account entries.
    public var clientAddress: String?
    /// For a what-if check (SPEC 8.3), the instant its time bounds were evaluated at: the answer is about then, not
    /// about the moment it was logged. Nil for every other entry.
    public var asOf: String?
    /// The entry's row key, the page cursor.
    public var key: Int64

    enum CodingKeys: String, CodingKey {
        case decisionId = "decision_id", at, revision, caller, userId = "user_id", action, resourceType = "resource_type"
        case resourceId = "resource_id", allowed, reason, rules, clientAddress = "client_address", asOf = "as_of"
    }

    /// Encodes every field, absent ones as `null`, so every entry has one shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(decisionId, forKey: .decisionId)
        try container.encode(at, forKey: .at)
        try container.encode(revision, forKey: .revision)
        try container.encode(caller, forKey: .caller)
        try container.encode(userId, forKey: .userId)
        try container.encode(action, forKey: .action)
        try container.encode(resourceType, forKey: .resourceType)
        try container.encode(resourceId, forKey: .resourceId)
        try container.encode(allowed, forKey: .allowed)
        try container.encode(reason, forKey: .reason)
        try container.encode(rules, forKey: .rules)
        try container.encode(clientAddress, forKey: .clientAddress)
        try container.encode(asOf, forKey: .asOf)
    }

    /// The explanation of a stored rule path; empty for account entries and for text this version cannot read.
    static func rules(_ encoded: String, action: String, resourceType: String) -> [RuleOutcome] {
        guard let action = Action(rawValue: action), ResourceType(rawValue: resourceType) != nil,
              let path = RulePath(encoded: Substring(encoded))
        else { return [] }
        return path.explanation(action: action, resourceType: resourceType)
    }
}
