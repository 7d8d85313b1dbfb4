/// Why a decision came out as it did; `code` is the spec's reason string.
public enum Reason: Sendable, Equatable {
    case userInactive, notFound, admin, owner, projectOwner
    case teamRole(TeamRole)
    case teamPermission(Action)
    case publicProject, noGrant

    public var code: String {
        switch self {
        case .userInactive: "user_inactive"
        case .notFound: "not_found"
        case .admin: "admin"
        case .owner: "owner"
        case .projectOwner: "project_owner"
        case .teamRole(let role): "team_role:\(role.rawValue)"
        case .teamPermission(let action): "team_permission:\(action.rawValue)"
        case .publicProject: "public_project"
        case .noGrant: "no_grant"
        }
    }
}

/// One rule of the evaluation order and what it did.
public struct RuleOutcome: Sendable, Equatable, Codable {
    public enum Outcome: String, Sendable, Codable {
        case allow, deny, skip
    }

    public var rule: String
    public var outcome: Outcome
    public var detail: String

    public init(rule: String, outcome: Outcome, detail: String) {
        self.rule = rule
        self.outcome = outcome
        self.detail = detail
    }
}

/// The answer to "may this user do this action on this resource?".
public struct Decision: Sendable, Equatable {
    public var allowed: Bool
    public var reason: Reason
    /// The data revision the decision was evaluated at.
    public var revision: Int64
    /// The rules evaluated, in order; only when an explanation was asked for.
    public var explanation: [RuleOutcome]?

    public init(allowed: Bool, reason: Reason, revision: Int64, explanation: [RuleOutcome]? = nil) {
        self.allowed = allowed
        self.reason = reason
        self.revision = revision
        self.explanation = explanation
    }
}
