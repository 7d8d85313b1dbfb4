import PortcullisModel

/// Why a decision came out as it did; `code` is the spec's reason string.
public enum Reason: Sendable, Equatable {
    /// `user_inactive` (denied: the user is absent, deleted or disabled), `not_found` (denied: the resource is absent or
    /// deleted, or the generation's project is), `admin` (allowed: an administrator), `owner` (allowed: the generation's
    /// owner), `project_owner` (allowed: the owner of the project the resource is or belongs to).
    case userInactive, notFound, admin, owner, projectOwner
    /// Allowed by the role of an active membership of the project's team (or of the team itself): `team_role:<role>`.
    case teamRole(TeamRole)
    /// Allowed by an extra permission listed on an active membership: `team_permission:<action>`.
    case teamPermission(Action)
    /// `public_project` (allowed: reading a public project, or reading or downloading one of its generations), and
    /// `no_grant` (denied: no rule allows it).
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

    /// `init?(code:)` from the code's UTF-8: the fixed codes compared as bytes, no `String` made for them.
    public init?(code bytes: UnsafeBufferPointer<UInt8>) {
        for reason in Self.fixedCodes {
            var code = reason.code
            if code.withUTF8({ $0.elementsEqual(bytes) }) {
                self = reason
                return
            }
        }
        self.init(code: String(decoding: bytes, as: UTF8.self))
    }

    /// The reasons whose code names no role or action, the most frequent first.
    private static let fixedCodes: [Reason] = [.noGrant, .owner, .admin, .projectOwner, .publicProject, .notFound, .userInactive]

    /// The spec's reason string (`owner`, `team_role:editor`, …), as responses carry it and `init?(code:)` reads it back.
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
    /// What one rule did.
    public enum Outcome: String, Sendable, Codable {
        /// `allow` or `deny` decides (and is the last entry); `skip` passes to the next rule.
        case allow, deny, skip
    }

    /// The rule's name, in evaluation order: `user_active`, `resource_exists`, `admin`, `owner`, `project_owner`,
    /// `team_membership`, `public_project`, `no_grant`.
    public var rule: String
    /// Whether the rule allowed, denied or passed.
    public var outcome: Outcome
    /// Why, in a sentence for people; it names a team only to its members.
    public var detail: String

    /// One recorded rule outcome.
    public init(rule: String, outcome: Outcome, detail: String) {
        self.rule = rule
        self.outcome = outcome
        self.detail = detail
    }
}

/// The answer to "may this user do this action on this resource?".
public struct Decision: Sendable, Equatable {
    /// Whether the action is allowed.
    public var allowed: Bool
    /// The rule that decided.
    public var reason: Reason
    /// The data revision the decision was evaluated at.
    public var revision: Int64
    /// The rules evaluated, in order; only when an explanation was asked for.
    public var explanation: [RuleOutcome]?
    /// The cache layer that answered, or `.miss` when the decision was evaluated.
    public var cacheLayer: CacheLayer
    /// The rules the decision went through, always recorded (compactly): the explanation of this answer as it was
    /// decided, kept with a cached answer and stored in the decision log.
    public var rulePath: RulePath

    /// A decision as `Policy` produces it, or as the cache decodes it (whose `revision` the engine then sets).
    public init(allowed: Bool, reason: Reason, revision: Int64, explanation: [RuleOutcome]? = nil, cacheLayer: CacheLayer = .miss,
                rulePath: RulePath = RulePath()) {
        self.allowed = allowed
        self.reason = reason
        self.revision = revision
        self.explanation = explanation
        self.cacheLayer = cacheLayer
        self.rulePath = rulePath
    }
}
