import PortcullisModel
import PortcullisPolicy

extension MemoryStore {
    /// `body` reads a copy of the state: one committed revision, whatever is written meanwhile.
    public func withSnapshot<T>(_ body: (any AuthorizationSnapshot) throws -> T) throws -> T {
        try body(MemorySnapshot(state: current()))
    }
}

/// The facts of SPEC section 2 read from one `MemoryState`, as `SQLiteSnapshot` reads them from one transaction
/// (compare `AuthorizationQueries`): absent rows are nil, deleted ones are returned marked deleted.
struct MemorySnapshot: AuthorizationSnapshot {
    let state: MemoryState

    func revision() -> Int64 {
        state.revision
    }

    func subject(_ userId: String) -> SubjectFacts? {
        guard let user = state.users[userId]?.user else { return nil }
        return SubjectFacts(isAdmin: user.isAdmin, isActive: user.status == .active && user.deletedAt == nil)
    }

    func generation(_ id: String, userId: String, action: Action) -> GenerationFacts? {
        guard let generation = state.generations[id] else { return nil }
        let project = generation.projectId.flatMap { projectFacts($0, userId: userId, type: .generation, action: action) }
        return GenerationFacts(ownerId: generation.ownerId, isDeleted: generation.deletedAt != nil, project: project,
                               projectId: project == nil ? nil : generation.projectId)
    }

    func project(_ id: String, userId: String, action: Action) -> ProjectFacts? {
        projectFacts(id, userId: userId, type: .project, action: action)
    }

    func team(_ id: String, userId: String, action: Action) -> TeamFacts? {
        guard let team = state.teams[id] else { return nil }
        // Extra permissions never count on team actions.
        let membership = state.members[id]?[userId].map {
            MembershipFacts(role: $0.role, roleGrantsAction: MemoryRoleGrants.grants($0.role, .team, action), permitsAction: false,
                            isActive: $0.isActive, startsAt: $0.startsAt.flatMap(Timestamp.epochMilliseconds),
                            expiresAt: $0.expiresAt.flatMap(Timestamp.epochMilliseconds))
        }
        return TeamFacts(isDeleted: team.deletedAt != nil, membership: membership)
    }

    /// A project with its team's state and the user's membership, the role grants read for resources of `type`.
    private func projectFacts(_ id: String, userId: String, type: ResourceType, action: Action) -> ProjectFacts? {
        guard let project = state.projects[id] else { return nil }
        let membership = project.teamId.flatMap { state.members[$0]?[userId] }.map {
            MembershipFacts(role: $0.role, roleGrantsAction: MemoryRoleGrants.grants($0.role, type, action),
                            permitsAction: $0.permissions.contains(action), isActive: $0.isActive,
                            startsAt: $0.startsAt.flatMap(Timestamp.epochMilliseconds), expiresAt: $0.expiresAt.flatMap(Timestamp.epochMilliseconds))
        }
        let teamIsDeleted = project.teamId.flatMap { state.teams[$0] }.map { $0.deletedAt != nil } ?? false
        return ProjectFacts(ownerId: project.ownerId, teamId: project.teamId, visibility: project.visibility, isDeleted: project.deletedAt != nil,
                            teamIsDeleted: teamIsDeleted, membership: membership)
    }
}

/// What each team role grants, per resource type: the rows migration `0001_directory` seeds into `role_grants`.
/// The conformance suite compares them with the SQL table, so the two cannot drift apart unnoticed.
enum MemoryRoleGrants {
    static let table: [ResourceType: [TeamRole: Set<Action>]] = [
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

    static func grants(_ role: TeamRole, _ type: ResourceType, _ action: Action) -> Bool {
        table[type]?[role]?.contains(action) ?? false
    }
}
