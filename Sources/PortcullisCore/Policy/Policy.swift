import PortcullisModel

/// SPEC section 2 as a pure function of facts read from one snapshot. No I/O, no clock.
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
///                              userId: "u1", revision: 7, explain: false)
/// decision.reason  // .teamRole(.editor)
/// ```
public enum Policy {
    /// Decides `action` on a generation for a user.
    public static func decide(
        user: SubjectFacts?, action: Action, generation: GenerationFacts?, userId: String, revision: Int64, explain: Bool
    ) -> Decision {
        var trace = Trace(enabled: explain)
        let reason = evaluate(user: user, action: action, generation: generation, userId: userId, trace: &trace)
        return trace.decision(reason, revision: revision)
    }

    /// Decides `action` on a project for a user.
    public static func decide(
        user: SubjectFacts?, action: Action, project: ProjectFacts?, userId: String, revision: Int64, explain: Bool
    ) -> Decision {
        var trace = Trace(enabled: explain)
        let reason = evaluate(user: user, action: action, project: project, userId: userId, trace: &trace)
        return trace.decision(reason, revision: revision)
    }

    /// Decides `action` on a team for a user.
    public static func decide(user: SubjectFacts?, action: Action, team: TeamFacts?, revision: Int64, explain: Bool) -> Decision {
        var trace = Trace(enabled: explain)
        let reason = evaluate(user: user, action: action, team: team, trace: &trace)
        return trace.decision(reason, revision: revision)
    }

    private static func evaluate(
        user: SubjectFacts?, action: Action, generation: GenerationFacts?, userId: String, trace: inout Trace
    ) -> Reason {
        guard let user, user.isActive else {
            trace.record("user_active", .deny, "user is absent, deleted or disabled")
            return .userInactive
        }
        trace.record("user_active", .skip, "user is active")
        guard let generation, !generation.isDeleted, generation.project?.isDeleted != true else {
            trace.record("resource_exists", .deny, generation == nil || generation?.isDeleted == true
                ? "generation is absent or deleted" : "the generation's project is deleted")
            return .notFound
        }
        trace.record("resource_exists", .skip, "generation exists")
        if user.isAdmin {
            trace.record("admin", .allow, "user is an administrator")
            return .admin
        }
        trace.record("admin", .skip, "user is not an administrator")
        if generation.ownerId == userId {
            trace.record("owner", .allow, "user owns the generation")
            return .owner
        }
        trace.record("owner", .skip, "generation is owned by another user")
        guard let project = generation.project else {
            trace.record("project_owner", .skip, "generation is in no project")
            trace.record("team_membership", .skip, "generation is in no project")
            trace.record("public_project", .skip, "generation is in no project")
            trace.record("no_grant", .deny, "no rule grants \(action.rawValue)")
            return .noGrant
        }
        return evaluateShared(project: project, action: action, userId: userId, publicActions: [.read, .download], trace: &trace)
    }

    private static func evaluate(user: SubjectFacts?, action: Action, project: ProjectFacts?, userId: String, trace: inout Trace) -> Reason {
        guard let user, user.isActive else {
            trace.record("user_active", .deny, "user is absent, deleted or disabled")
            return .userInactive
        }
        trace.record("user_active", .skip, "user is active")
        guard let project, !project.isDeleted else {
            trace.record("resource_exists", .deny, "project is absent or deleted")
            return .notFound
        }
        trace.record("resource_exists", .skip, "project exists")
        if user.isAdmin {
            trace.record("admin", .allow, "user is an administrator")
            return .admin
        }
        trace.record("admin", .skip, "user is not an administrator")
        return evaluateShared(project: project, action: action, userId: userId, publicActions: [.read], trace: &trace)
    }

    /// Rules 5–8, shared by generations and projects: project owner, team membership, public project, no grant.
    private static func evaluateShared(
        project: ProjectFacts, action: Action, userId: String, publicActions: Set<Action>, trace: inout Trace
    ) -> Reason {
        if project.ownerId == userId {
            trace.record("project_owner", .allow, "user owns the project")
            return .projectOwner
        }
        trace.record("project_owner", .skip, "project is owned by another user")
        if let reason = membershipGrant(project: project, action: action, trace: &trace) {
            return reason
        }
        if project.visibility == .public && publicActions.contains(action) {
            trace.record("public_project", .allow, "project is public and \(action.rawValue) is open to everyone")
            return .publicProject
        }
        trace.record("public_project", .skip, project.visibility == .public
            ? "\(action.rawValue) is not open to everyone on a public project" : "project is \(project.visibility.rawValue)")
        trace.record("no_grant", .deny, "no rule grants \(action.rawValue)")
        return .noGrant
    }

    private static func membershipGrant(project: ProjectFacts, action: Action, trace: inout Trace) -> Reason? {
        guard let teamId = project.teamId else {
            trace.record("team_membership", .skip, "project belongs to no team")
            return nil
        }
        guard project.visibility != .private else {
            trace.record("team_membership", .skip, "project is private to its owner")
            return nil
        }
        // A team is named only to its members: an explanation must not reveal teams the user does not belong to.
        guard !project.teamIsDeleted else {
            trace.record("team_membership", .skip, "the project's team is deleted")
            return nil
        }
        guard let membership = project.membership, membership.isActive else {
            trace.record("team_membership", .skip, project.membership == nil
                ? "user is not a member of the project's team" : "user's membership of team '\(teamId)' is inactive")
            return nil
        }
        if membership.roleGrantsAction {
            trace.record("team_membership", .allow, "role \(membership.role.rawValue) in team '\(teamId)' grants \(action.rawValue)")
            return .teamRole(membership.role)
        }
        if membership.permitsAction {
            trace.record("team_membership", .allow, "membership of team '\(teamId)' lists \(action.rawValue) as an extra permission")
            return .teamPermission(action)
        }
        trace.record("team_membership", .skip, "role \(membership.role.rawValue) in team '\(teamId)' does not grant \(action.rawValue)")
        return nil
    }

    private static func evaluate(user: SubjectFacts?, action: Action, team: TeamFacts?, trace: inout Trace) -> Reason {
        guard let user, user.isActive else {
            trace.record("user_active", .deny, "user is absent, deleted or disabled")
            return .userInactive
        }
        trace.record("user_active", .skip, "user is active")
        guard let team, !team.isDeleted else {
            trace.record("resource_exists", .deny, "team is absent or deleted")
            return .notFound
        }
        trace.record("resource_exists", .skip, "team exists")
        if user.isAdmin {
            trace.record("admin", .allow, "user is an administrator")
            return .admin
        }
        trace.record("admin", .skip, "user is not an administrator")
        // Extra permissions apply to generation and project actions only, so only the role counts here.
        if let membership = team.membership, membership.isActive, membership.roleGrantsAction {
            trace.record("team_membership", .allow, "role \(membership.role.rawValue) grants \(action.rawValue)")
            return .teamRole(membership.role)
        }
        let why = switch team.membership {
        case nil: "user is not a member"
        case let membership? where !membership.isActive: "user's membership is inactive"
        case let membership?: "role \(membership.role.rawValue) does not grant \(action.rawValue)"
        }
        trace.record("team_membership", .skip, why)
        trace.record("no_grant", .deny, "no rule grants \(action.rawValue)")
        return .noGrant
    }
}

/// Collects rule outcomes only when an explanation was asked for, so plain checks build no strings.
struct Trace {
    private(set) var entries: [RuleOutcome]?

    init(enabled: Bool) {
        entries = enabled ? [] : nil
    }

    mutating func record(_ rule: String, _ outcome: RuleOutcome.Outcome, _ detail: @autoclosure () -> String) {
        guard entries != nil else { return }
        entries!.append(RuleOutcome(rule: rule, outcome: outcome, detail: detail()))
    }

    func decision(_ reason: Reason, revision: Int64) -> Decision {
        let allowed = switch reason {
        case .userInactive, .notFound, .noGrant: false
        default: true
        }
        return Decision(allowed: allowed, reason: reason, revision: revision, explanation: entries)
    }
}
