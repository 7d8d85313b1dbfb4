import PortcullisModel

/// Why a decision came out as it did; `code` is the spec's reason string.
public enum Reason: Sendable, Equatable {
    case userInactive, notFound, admin, owner, projectOwner
    case teamRole(TeamRole)
    case teamPermission(Action)
    case publicProject, noGrant

    /// Parses a reason string (`team_role:editor`, …); nil for anything else.
    public init?(code: String) {
        switch code {
        case "user_inactive": self = .userInactive
        case "not_found": self = .notFound
        case "admin": self = .admin
        case "owner": self = .owner
        case "project_owner": self = .projectOwner
        case "public_project": self = .publicProject
        case "no_grant": self = .noGrant
        default:
            if code.hasPrefix("team_role:"), let role = TeamRole(rawValue: String(code.dropFirst(10))) {
                self = .teamRole(role)
            } else if code.hasPrefix("team_permission:"), let action = Action(rawValue: String(code.dropFirst(16))) {
                self = .teamPermission(action)
            } else {
                return nil
            }
        }
    }

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
    /// The cache layer that answered, or `.miss` when the decision was evaluated.
    public var cacheLayer: CacheLayer

    public init(allowed: Bool, reason: Reason, revision: Int64, explanation: [RuleOutcome]? = nil, cacheLayer: CacheLayer = .miss) {
        self.allowed = allowed
        self.reason = reason
        self.revision = revision
        self.explanation = explanation
        self.cacheLayer = cacheLayer
    }
}
