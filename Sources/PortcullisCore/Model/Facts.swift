/// What a decision needs to know about the acting user, read from one snapshot.
public struct SubjectFacts: Sendable, Equatable {
    public var isAdmin: Bool
    /// Present, not deleted, and `active`.
    public var isActive: Bool

    public init(isAdmin: Bool, isActive: Bool) {
        self.isAdmin = isAdmin
        self.isActive = isActive
    }
}

/// The acting user's membership of the team that owns the resource.
public struct MembershipFacts: Sendable, Equatable {
    public var role: TeamRole
    /// Whether the role grants the requested action (from the `role_grants` table).
    public var roleGrantsAction: Bool
    /// Whether the membership lists the requested action as an extra permission.
    public var permitsAction: Bool
    public var isActive: Bool

    public init(role: TeamRole, roleGrantsAction: Bool, permitsAction: Bool, isActive: Bool) {
        self.role = role
        self.roleGrantsAction = roleGrantsAction
        self.permitsAction = permitsAction
        self.isActive = isActive
    }
}

/// A project as a decision sees it, with its team's state and the acting user's membership.
public struct ProjectFacts: Sendable, Equatable {
    public var ownerId: String
    public var teamId: String?
    public var visibility: Visibility
    public var isDeleted: Bool
    /// Whether the project's team is deleted (a deleted team grants nothing through its memberships).
    public var teamIsDeleted: Bool
    public var membership: MembershipFacts?

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
    public var ownerId: String
    public var isDeleted: Bool
    public var project: ProjectFacts?
    /// The project's id (what a cached decision depends on besides the project's state).
    public var projectId: String?

    public init(ownerId: String, isDeleted: Bool, project: ProjectFacts?, projectId: String? = nil) {
        self.ownerId = ownerId
        self.isDeleted = isDeleted
        self.project = project
        self.projectId = projectId
    }
}

/// A team as a decision sees it, with the acting user's membership.
public struct TeamFacts: Sendable, Equatable {
    public var isDeleted: Bool
    public var membership: MembershipFacts?

    public init(isDeleted: Bool, membership: MembershipFacts?) {
        self.isDeleted = isDeleted
        self.membership = membership
    }
}
