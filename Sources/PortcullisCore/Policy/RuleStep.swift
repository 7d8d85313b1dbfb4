import PortcullisModel

/// One step of the evaluation order as `Policy` records it: which rule, what it did, and which of the rule's sentences
/// explains it. The sentences' variable parts (the action, the resource type, the role, the visibility, the team) live
/// in the `RulePath` beside the steps, so a step is one byte.
///
/// Raw values are stored (in cached answers and in the decision log): add cases at the end, never renumber.
public enum RuleStep: UInt8, Sendable, CaseIterable {
    /// `user_active`: denied (absent, deleted or disabled), or passed.
    case userInactive = 1, userActive
    /// `resource_exists` for a generation: absent or deleted, in a deleted project, or present.
    case generationAbsent, generationProjectDeleted, generationExists
    /// `admin`: allowed, or not an administrator.
    case adminAllow, adminSkip
    /// `owner` (of the generation): allowed, or owned by another user.
    case ownerAllow, ownerSkip
    /// A generation in no project passes `project_owner`, `team_membership` and `public_project`.
    case noProjectForProjectOwner, noProjectForMembership, noProjectForPublic
    /// `no_grant`: denied, no rule allowed.
    case noGrant
    /// `resource_exists` for a project: absent or deleted, or present.
    case projectAbsent, projectExists
    /// `project_owner`: allowed, or owned by another user.
    case projectOwnerAllow, projectOwnerSkip
    /// `public_project`: allowed, the action is not open to everyone, or the project is not public.
    case publicAllow, publicActionClosed, publicSkipVisibility
    /// `team_membership` passed: no team, a private project, a deleted team, not a member, an inactive membership.
    case noTeam, privateProject, teamDeleted, notTeamMember, membershipInactive
    /// `team_membership` of the project's team: the role grants, an extra permission grants, or the role does not.
    case roleGrants, permissionGrants, roleDoesNotGrant
    /// `resource_exists` for a team: absent or deleted, or present.
    case teamAbsent, teamExists
    /// `team_membership` of the team itself: the role grants; not a member, inactive, or the role does not grant.
    case teamRoleGrants, notMember, teamMembershipInactive, teamRoleDoesNotGrant
    /// The answer a user token gets about a resource it may not read (SPEC 8.1): `no_grant`, whatever decided.
    case concealedNoGrant
    /// `team_membership` of the project's team outside its time bounds: it starts later, or it has expired (SPEC 8.3).
    case membershipNotStarted, membershipExpired
    /// `team_membership` of the team itself outside its time bounds.
    case teamMembershipNotStarted, teamMembershipExpired

    /// The rule's name, as the explanation carries it.
    public var rule: String {
        switch self {
        case .userInactive, .userActive: "user_active"
        case .generationAbsent, .generationProjectDeleted, .generationExists, .projectAbsent, .projectExists, .teamAbsent, .teamExists:
            "resource_exists"
        case .adminAllow, .adminSkip: "admin"
        case .ownerAllow, .ownerSkip: "owner"
        case .noProjectForProjectOwner, .projectOwnerAllow, .projectOwnerSkip: "project_owner"
        case .noProjectForMembership, .noTeam, .privateProject, .teamDeleted, .notTeamMember, .membershipInactive, .roleGrants,
             .permissionGrants, .roleDoesNotGrant, .teamRoleGrants, .notMember, .teamMembershipInactive, .teamRoleDoesNotGrant,
             .membershipNotStarted, .membershipExpired, .teamMembershipNotStarted, .teamMembershipExpired:
            "team_membership"
        case .noProjectForPublic, .publicAllow, .publicActionClosed, .publicSkipVisibility: "public_project"
        case .noGrant, .concealedNoGrant: "no_grant"
        }
    }

    /// Whether the step allowed, denied or passed to the next rule.
    public var outcome: RuleOutcome.Outcome {
        switch self {
        case .userInactive, .generationAbsent, .generationProjectDeleted, .projectAbsent, .teamAbsent, .noGrant, .concealedNoGrant: .deny
        case .adminAllow, .ownerAllow, .projectOwnerAllow, .publicAllow, .roleGrants, .permissionGrants, .teamRoleGrants: .allow
        default: .skip
        }
    }

    /// The sentence for people, with the path's variable parts filled in. It names a team only to its members (the
    /// steps that name one are recorded only for a member).
    func detail(_ path: RulePath, action: Action, resourceType: String) -> String {
        let action = action.rawValue, role = path.role?.rawValue ?? "", team = path.teamId ?? ""
        let bound = path.bound.map { Timestamp.format(epochMilliseconds: $0) } ?? ""
        return switch self {
        case .userInactive: "user is absent, deleted or disabled"
        case .userActive: "user is active"
        case .generationAbsent: "generation is absent or deleted"
        case .generationProjectDeleted: "the generation's project is deleted"
        case .generationExists: "generation exists"
        case .adminAllow: "user is an administrator"
        case .adminSkip: "user is not an administrator"
        case .ownerAllow: "user owns the generation"
        case .ownerSkip: "generation is owned by another user"
        case .noProjectForProjectOwner, .noProjectForMembership, .noProjectForPublic: "generation is in no project"
        case .noGrant: "no rule grants \(action)"
        case .projectAbsent: "project is absent or deleted"
        case .projectExists: "project exists"
        case .projectOwnerAllow: "user owns the project"
        case .projectOwnerSkip: "project is owned by another user"
        case .publicAllow: "project is public and \(action) is open to everyone"
        case .publicActionClosed: "\(action) is not open to everyone on a public project"
        case .publicSkipVisibility: "project is \(path.visibility?.rawValue ?? "")"
        case .noTeam: "project belongs to no team"
        case .privateProject: "project is private to its owner"
        case .teamDeleted: "the project's team is deleted"
        case .notTeamMember: "user is not a member of the project's team"
        case .membershipInactive: "user's membership of team '\(team)' is inactive"
        case .roleGrants: "role \(role) in team '\(team)' grants \(action)"
        case .permissionGrants: "membership of team '\(team)' lists \(action) as an extra permission"
        case .roleDoesNotGrant: "role \(role) in team '\(team)' does not grant \(action)"
        case .teamAbsent: "team is absent or deleted"
        case .teamExists: "team exists"
        case .teamRoleGrants: "role \(role) grants \(action)"
        case .notMember: "user is not a member"
        case .teamMembershipInactive: "user's membership is inactive"
        case .teamRoleDoesNotGrant: "role \(role) does not grant \(action)"
        case .concealedNoGrant: "no rule grants \(action) on this \(resourceType) (it does not exist or the user may not read it)"
        case .membershipNotStarted: "user's membership of team '\(team)' starts at \(bound)"
        case .membershipExpired: "user's membership of team '\(team)' expired at \(bound)"
        case .teamMembershipNotStarted: "user's membership starts at \(bound)"
        case .teamMembershipExpired: "user's membership expired at \(bound)"
        }
    }
}
