/// What a decision needs to know about the acting user, read from one snapshot.
public struct SubjectFacts: Sendable, Equatable {
    /// Whether the user is an administrator (rule 3: allowed everything on a live resource).
    public var isAdmin: Bool
    /// Present, not deleted, and `active`.
    public var isActive: Bool

    /// Facts as a backend reads them (`AuthorizationSnapshot.subject(_:)`), or as a test states them.
    public init(isAdmin: Bool, isActive: Bool) {
        self.isAdmin = isAdmin
        self.isActive = isActive
    }
}

/// The acting user's membership of the team that owns the resource.
public struct MembershipFacts: Sendable, Equatable {
    /// The membership's role.
    public var role: TeamRole
    /// Whether the role grants the requested action (from the `role_grants` table).
    public var roleGrantsAction: Bool
    /// Whether the membership lists the requested action as an extra permission.
    public var permitsAction: Bool
    /// Whether the membership is active; an inactive one grants nothing.
    public var isActive: Bool
    /// Unix milliseconds from which the membership grants; nil: no start bound.
    public var startsAt: Int64?
    /// Unix milliseconds from which it grants nothing; nil: no end bound.
    public var expiresAt: Int64?

    /// Facts for one action: `roleGrantsAction` and `permitsAction` answer for the action the snapshot was asked about.
    public init(role: TeamRole, roleGrantsAction: Bool, permitsAction: Bool, isActive: Bool, startsAt: Int64? = nil, expiresAt: Int64? = nil) {
        self.role = role
        self.roleGrantsAction = roleGrantsAction
        self.permitsAction = permitsAction
        self.isActive = isActive
        self.startsAt = startsAt
        self.expiresAt = expiresAt
    }

    /// The first bound after `now` (Unix milliseconds) at which the membership starts or stops granting; nil when
    /// nothing about it changes with time from `now` on. A decision that read this membership holds until then.
    public func nextBound(after now: Int64) -> Int64? {
        if let startsAt, startsAt > now { return startsAt }
        if let expiresAt, expiresAt > now { return expiresAt }
        return nil
    }
}

/// A project as a decision sees it, with its team's state and the acting user's membership.
public struct ProjectFacts: Sendable, Equatable {
    /// The project's owner (rule 5 allows them everything).
    public var ownerId: String
    /// The project's team, if any.
    public var teamId: String?
    /// The project's visibility: `private` keeps the team's memberships from counting; `public` opens reading to everyone.
    public var visibility: Visibility
    /// Whether the project is soft-deleted (then it, and its generations, are `not_found`).
    public var isDeleted: Bool
    /// Whether the project's team is deleted (a deleted team grants nothing through its memberships).
    public var teamIsDeleted: Bool
    /// The acting user's membership of the project's team; nil when they are not a member or the project has no team.
    public var membership: MembershipFacts?

    /// Facts as a backend reads them (`AuthorizationSnapshot.project(_:userId:action:)`), or as a test states them.
    public init(ownerId: String, teamId: String?, visibility: Visibility, isDeleted: Bool, teamIsDeleted: Bool, membership: MembershipFacts?) {
        self.ownerId = ownerId
        self.teamId = teamId
        self.visibility = visibility
        self.isDeleted = isDeleted
        self.teamIsDeleted = teamIsDeleted
        self.membership = membership
    }
}

/// A generation as a decision sees it. `project` is nil when the generation is in no project.
public struct GenerationFacts: Sendable, Equatable {
    /// The generation's owner (rule 4 allows them everything).
    public var ownerId: String
    /// Whether the generation is soft-deleted (then it is `not_found`).
    public var isDeleted: Bool
    /// The generation's project with its team and the user's membership; nil when the generation is in no project.
    public var project: ProjectFacts?
    /// The project's id (what a cached decision depends on besides the project's state).
    public var projectId: String?

    /// Facts as a backend reads them (`AuthorizationSnapshot.generation(_:userId:action:)`); pass `projectId` whenever
    /// `project` is set, or cached decisions will not depend on the project's version.
    public init(ownerId: String, isDeleted: Bool, project: ProjectFacts?, projectId: String? = nil) {
        self.ownerId = ownerId
        self.isDeleted = isDeleted
        self.project = project
        self.projectId = projectId
    }
}

/// A team as a decision sees it, with the acting user's membership.
public struct TeamFacts: Sendable, Equatable {
    /// Whether the team is soft-deleted (then it is `not_found`).
    public var isDeleted: Bool
    /// The acting user's membership of the team; nil when they are not a member.
    public var membership: MembershipFacts?

    /// Facts as a backend reads them (`AuthorizationSnapshot.team(_:userId:action:)`), or as a test states them.
    public init(isDeleted: Bool, membership: MembershipFacts?) {
        self.isDeleted = isDeleted
        self.membership = membership
    }
}
