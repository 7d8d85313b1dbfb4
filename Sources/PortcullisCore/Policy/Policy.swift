import PortcullisModel

/// SPEC section 2 as a pure function of facts read from one snapshot and the instant `now` (Unix milliseconds) at which
/// time-bound memberships are evaluated (SPEC 8.3). No I/O, no clock of its own.
///
/// The evaluation order is the spec's: the first rule that allows or denies decides; with `explain`, every rule
/// reached is recorded in order, and the rules after the deciding one are not evaluated.
///
/// Being pure, it is where a rule is tested without a database:
///
/// ```swift
/// let editor = MembershipFacts(role: .editor, roleGrantsAction: true, permitsAction: false, isActive: true)
/// let project = ProjectFacts(ownerId: "u2", teamId: "t1", visibility: .team, isDeleted: false, teamIsDeleted: false, membership: editor)
/// let decision = Policy.decide(user: SubjectFacts(isAdmin: false, isActive: true), action: .createGeneration, project: project,
///                              userId: "u1", now: 1_767_225_600_000, revision: 7, explain: false)
/// decision.reason  // .teamRole(.editor)
/// ```
public enum Policy {
    /// Decides `action` on a generation for a user at `now` (Unix milliseconds).
    public static func decide(
        user: SubjectFacts?, action: Action, generation: GenerationFacts?, userId: String, now: Int64, revision: Int64, explain: Bool
    ) -> Decision {
        var trace = Trace()
        let reason = evaluate(user: user, action: action, generation: generation, userId: userId, now: now, trace: &trace)
        return trace.decision(reason, revision: revision, explainingAction: explain ? action : nil, resourceType: .generation)
    }

    /// Decides `action` on a project for a user at `now` (Unix milliseconds).
    public static func decide(
        user: SubjectFacts?, action: Action, project: ProjectFacts?, userId: String, now: Int64, revision: Int64, explain: Bool
    ) -> Decision {
        var trace = Trace()
        let reason = evaluate(user: user, action: action, project: project, userId: userId, now: now, trace: &trace)
        return trace.decision(reason, revision: revision, explainingAction: explain ? action : nil, resourceType: .project)
    }

    /// Decides `action` on a team for a user at `now` (Unix milliseconds).
    public static func decide(user: SubjectFacts?, action: Action, team: TeamFacts?, now: Int64, revision: Int64, explain: Bool) -> Decision {
        var trace = Trace()
        let reason = evaluate(user: user, action: action, team: team, now: now, trace: &trace)
        return trace.decision(reason, revision: revision, explainingAction: explain ? action : nil, resourceType: .team)
    }

    private static func evaluate(
        user: SubjectFacts?, action: Action, generation: GenerationFacts?, userId: String, now: Int64, trace: inout Trace
    ) -> Reason {
        guard let user, user.isActive else {
            trace.record(.userInactive)
            return .userInactive
        }
        trace.record(.userActive)
        guard let generation, !generation.isDeleted, generation.project?.isDeleted != true else {
            trace.record(generation == nil || generation?.isDeleted == true ? .generationAbsent : .generationProjectDeleted)
            return .notFound
        }
        trace.record(.generationExists)
        if user.isAdmin {
            trace.record(.adminAllow)
            return .admin
        }
        trace.record(.adminSkip)
        if generation.ownerId == userId {
            trace.record(.ownerAllow)
            return .owner
        }
        trace.record(.ownerSkip)
        guard let project = generation.project else {
            trace.record(.noProjectForProjectOwner)
            trace.record(.noProjectForMembership)
            trace.record(.noProjectForPublic)
            trace.record(.noGrant)
            return .noGrant
        }
        return evaluateShared(project: project, action: action, userId: userId, now: now, publicActions: [.read, .download], trace: &trace)
    }

    private static func evaluate(user: SubjectFacts?, action: Action, project: ProjectFacts?, userId: String, now: Int64, trace: inout Trace)
        -> Reason
    {
        guard let user, user.isActive else {
            trace.record(.userInactive)
            return .userInactive
        }
        trace.record(.userActive)
        guard let project, !project.isDeleted else {
            trace.record(.projectAbsent)
            return .notFound
        }
        trace.record(.projectExists)
        if user.isAdmin {
            trace.record(.adminAllow)
            return .admin
        }
        trace.record(.adminSkip)
        return evaluateShared(project: project, action: action, userId: userId, now: now, publicActions: [.read], trace: &trace)
    }

    /// Rules 5–8, shared by generations and projects: project owner, team membership, public project, no grant.
    private static func evaluateShared(
        project: ProjectFacts, action: Action, userId: String, now: Int64, publicActions: Set<Action>, trace: inout Trace
    ) -> Reason {
        if project.ownerId == userId {
            trace.record(.projectOwnerAllow)
            return .projectOwner
        }
        trace.record(.projectOwnerSkip)
        if let reason = membershipGrant(project: project, action: action, now: now, trace: &trace) {
            return reason
        }
        if project.visibility == .public && publicActions.contains(action) {
            trace.record(.publicAllow)
            return .publicProject
        }
        if project.visibility == .public {
            trace.record(.publicActionClosed)
        } else {
            trace.record(.publicSkipVisibility, visibility: project.visibility)
        }
        trace.record(.noGrant)
        return .noGrant
    }

    private static func membershipGrant(project: ProjectFacts, action: Action, now: Int64, trace: inout Trace) -> Reason? {
        guard let teamId = project.teamId else {
            trace.record(.noTeam)
            return nil
        }
        guard project.visibility != .private else {
            trace.record(.privateProject)
            return nil
        }
        // A team is named only to its members: an explanation must not reveal teams the user does not belong to.
        guard !project.teamIsDeleted else {
            trace.record(.teamDeleted)
            return nil
        }
        guard let membership = project.membership, membership.isActive else {
            if project.membership == nil {
                trace.record(.notTeamMember)
            } else {
                trace.record(.membershipInactive, teamId: teamId)
            }
            return nil
        }
        if let startsAt = membership.startsAt, now < startsAt {
            trace.record(.membershipNotStarted, teamId: teamId, bound: startsAt)
            return nil
        }
        if let expiresAt = membership.expiresAt, now >= expiresAt {
            trace.record(.membershipExpired, teamId: teamId, bound: expiresAt)
            return nil
        }
        if membership.roleGrantsAction {
            trace.record(.roleGrants, role: membership.role, teamId: teamId)
            return .teamRole(membership.role)
        }
        if membership.permitsAction {
            trace.record(.permissionGrants, teamId: teamId)
            return .teamPermission(action)
        }
        trace.record(.roleDoesNotGrant, role: membership.role, teamId: teamId)
        return nil
    }

    private static func evaluate(user: SubjectFacts?, action: Action, team: TeamFacts?, now: Int64, trace: inout Trace) -> Reason {
        guard let user, user.isActive else {
            trace.record(.userInactive)
            return .userInactive
        }
        trace.record(.userActive)
        guard let team, !team.isDeleted else {
            trace.record(.teamAbsent)
            return .notFound
        }
        trace.record(.teamExists)
        if user.isAdmin {
            trace.record(.adminAllow)
            return .admin
        }
        trace.record(.adminSkip)
        // Extra permissions apply to generation and project actions only, so only the role counts here.
        switch team.membership {
        case nil: trace.record(.notMember)
        case let membership? where !membership.isActive: trace.record(.teamMembershipInactive)
        case let membership? where membership.startsAt.map({ now < $0 }) == true:
            trace.record(.teamMembershipNotStarted, bound: membership.startsAt)
        case let membership? where membership.expiresAt.map({ now >= $0 }) == true:
            trace.record(.teamMembershipExpired, bound: membership.expiresAt)
        case let membership? where membership.roleGrantsAction:
            trace.record(.teamRoleGrants, role: membership.role)
            return .teamRole(membership.role)
        case let membership?: trace.record(.teamRoleDoesNotGrant, role: membership.role)
        }
        trace.record(.noGrant)
        return .noGrant
    }
}

/// Records the rule path of every decision: a byte per step and the few facts the steps' sentences name, no strings.
/// The explanation is rendered from it only when one was asked for.
struct Trace {
    private(set) var path = RulePath()

    mutating func record(_ step: RuleStep, role: TeamRole? = nil, visibility: Visibility? = nil, teamId: String? = nil, bound: Int64? = nil) {
        path.append(step)
        if let role { path.role = role }
        if let visibility { path.visibility = visibility }
        if let teamId { path.teamId = teamId }
        if let bound { path.bound = bound }
    }

    func decision(_ reason: Reason, revision: Int64, explainingAction action: Action?, resourceType: ResourceType) -> Decision {
        let allowed = switch reason {
        case .userInactive, .notFound, .noGrant: false
        default: true
        }
        return Decision(allowed: allowed, reason: reason, revision: revision,
                        explanation: action.map { path.explanation(action: $0, resourceType: resourceType.rawValue) }, rulePath: path)
    }
}
