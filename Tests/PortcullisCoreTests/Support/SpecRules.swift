import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisCache

/// SPEC section 2 written out again from the spec's text, as the tests' oracle.
///
/// Deliberately independent of `Policy` and of the `role_grants` table: a test that computed its expectation
/// with the code under test could not fail.
enum SpecRules {
    /// "Default role grants" per resource type, copied from the spec's prose.
    static let roleGrants: [ResourceType: [TeamRole: Set<Action>]] = [
        .generation: [
            .owner: [.read, .update, .delete, .download],
            .admin: [.read, .update, .delete, .download],
            .editor: [.read, .update, .download],
            .viewer: [.read, .download],
        ],
        .project: [
            .owner: [.read, .update, .delete, .createGeneration],
            .admin: [.read, .update, .delete, .createGeneration],
            .editor: [.read, .createGeneration],
            .viewer: [.read],
        ],
        .team: [
            .owner: [.read, .manageMembers],
            .admin: [.read, .manageMembers],
            .editor: [.read],
            .viewer: [.read],
        ],
    ]

    /// What a public project opens to everyone.
    static let publicActions: [ResourceType: Set<Action>] = [.generation: [.read, .download], .project: [.read], .team: []]

    static func grants(_ role: TeamRole, _ type: ResourceType, _ action: Action) -> Bool {
        roleGrants[type]![role]!.contains(action)
    }

    /// The rules each resource type is evaluated by, in the spec's order (names as `RuleOutcome.rule`).
    static func ruleOrder(_ type: ResourceType) -> [String] {
        switch type {
        case .generation: ["user_active", "resource_exists", "admin", "owner", "project_owner", "team_membership", "public_project", "no_grant"]
        case .project: ["user_active", "resource_exists", "admin", "project_owner", "team_membership", "public_project", "no_grant"]
        case .team: ["user_active", "resource_exists", "admin", "team_membership", "no_grant"]
        }
    }

    /// The rule that decides for a reason code.
    static func decidingRule(_ code: String) -> String {
        switch code {
        case "user_inactive": "user_active"
        case "not_found": "resource_exists"
        case "admin", "owner", "project_owner", "public_project", "no_grant": code
        default: code.hasPrefix("team_role:") || code.hasPrefix("team_permission:") ? "team_membership" : "?\(code)"
        }
    }

    static func isAllowed(_ code: String) -> Bool {
        !["user_inactive", "not_found", "no_grant"].contains(code)
    }

    /// The reason code for an active user related to a live resource as `relationship`.
    /// For generations and projects the project has `visibility` and belongs to the team the relationship is about.
    /// For teams the team is the one the relationship is about, so `teamDeleted` makes it absent.
    static func expectedCode(_ relationship: Relationship, _ type: ResourceType, _ action: Action, visibility: Visibility) -> String {
        if type == .team, relationship.teamDeleted { return "not_found" }
        switch relationship.kind {
        case .admin: return "admin"
        case .generationOwner where type == .generation: return "owner"
        case .projectOwner where type != .team: return "project_owner"
        default: break
        }
        if case .member(let role) = relationship.kind, relationship.isActive, !relationship.teamDeleted {
            if type == .team {
                return grants(role, .team, action) ? "team_role:\(role.rawValue)" : "no_grant"
            }
            if visibility != .private {
                if grants(role, type, action) { return "team_role:\(role.rawValue)" }
                if relationship.permissions.contains(action) { return "team_permission:\(action.rawValue)" }
            }
        }
        if type != .team, visibility == .public, publicActions[type]!.contains(action) { return "public_project" }
        return "no_grant"
    }
}

/// How the acting user relates to the resource under test: the rows of the rule matrix.
struct Relationship: Sendable, CustomTestStringConvertible {
    enum Kind: Sendable, Equatable {
        case admin, generationOwner, projectOwner, member(TeamRole), stranger
    }

    var kind: Kind
    var permissions: [Action] = []
    var isActive = true
    var teamDeleted = false

    var testDescription: String {
        var text = switch kind {
        case .admin: "admin"
        case .generationOwner: "generation owner"
        case .projectOwner: "project owner"
        case .member(let role): "\(role.rawValue)"
        case .stranger: "stranger"
        }
        if !permissions.isEmpty { text += " +[\(permissions.map(\.rawValue).joined(separator: ","))]" }
        if !isActive { text += " (inactive)" }
        if teamDeleted { text += " (team deleted)" }
        return text
    }

    var role: TeamRole? {
        if case .member(let role) = kind { role } else { nil }
    }

    /// Every row: each role active, inactive, and in a deleted team; extra permissions on roles that lack them; the owners, an admin, a stranger.
    static let all: [Relationship] = [Relationship(kind: .admin), Relationship(kind: .generationOwner), Relationship(kind: .projectOwner)]
        + TeamRole.allCases.map { Relationship(kind: .member($0)) }
        + TeamRole.allCases.map { Relationship(kind: .member($0), isActive: false) }
        + TeamRole.allCases.map { Relationship(kind: .member($0), teamDeleted: true) }
        + [
            Relationship(kind: .member(.viewer), permissions: [.update, .delete, .createGeneration]),
            Relationship(kind: .member(.editor), permissions: [.delete, .update]),
            Relationship(kind: .member(.viewer), permissions: [.delete], isActive: false),
            Relationship(kind: .stranger),
        ]
}

extension SpecRules {
    /// Checks an explained decision: the rules of `type` in order, up to and including the one that decided,
    /// every earlier rule skipped and the last one allowing or denying as the decision does.
    static func expectExplanation(_ decision: Decision, _ type: ResourceType, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let explanation = decision.explanation else {
            Issue.record("no explanation although one was asked for", sourceLocation: sourceLocation)
            return
        }
        let order = ruleOrder(type)
        let deciding = decidingRule(decision.reason.code)
        guard let last = order.firstIndex(of: deciding) else {
            Issue.record("reason \(decision.reason.code) maps to no rule of \(type)", sourceLocation: sourceLocation)
            return
        }
        #expect(explanation.map(\.rule) == Array(order[...last]), sourceLocation: sourceLocation)
        #expect(explanation.dropLast().allSatisfy { $0.outcome == .skip }, sourceLocation: sourceLocation)
        #expect(explanation.last?.outcome == (decision.allowed ? .allow : .deny), sourceLocation: sourceLocation)
        #expect(explanation.allSatisfy { !$0.detail.isEmpty }, sourceLocation: sourceLocation)
    }
}
