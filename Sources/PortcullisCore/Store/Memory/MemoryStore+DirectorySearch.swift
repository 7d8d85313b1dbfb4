import PortcullisModel
import PortcullisPolicy

/// The administrators' finding aids in memory, with the SQL backend's order, paging and errors (compare
/// `SQLiteStore+DirectorySearch.swift`).
extension MemoryStore {
    /// Ids starting with `prefix` exactly, emails starting with it lowercased.
    public func users(matching prefix: String, _ page: PageRequest) async throws -> Page<User> {
        let email = prefix.lowercased()
        let matching = current().users.values.map(\.user).filter {
            $0.deletedAt == nil && (PrefixRange.matches($0.id, prefix) || PrefixRange.matches($0.email, email))
        }
        return try MemoryState.page(matching.map { (id: $0.id, value: $0) }, page)
    }

    /// Live projects matching every field of the filter.
    public func projects(_ filter: ProjectFilter, _ page: PageRequest) async throws -> Page<Project> {
        let matching = current().projects.values.filter { project in
            project.deletedAt == nil && (filter.ownerId == nil || project.ownerId == filter.ownerId)
                && (filter.teamId == nil || project.teamId == filter.teamId)
        }
        return try MemoryState.page(matching.map { (id: $0.id, value: $0) }, page)
    }

    /// Live generations matching every field of the filter; a team reaches them through its live projects.
    public func generations(_ filter: GenerationFilter, _ page: PageRequest) async throws -> Page<Generation> {
        let state = current()
        let matching = state.generations.values.filter { generation in
            guard generation.deletedAt == nil else { return false }
            if let ownerId = filter.ownerId, generation.ownerId != ownerId { return false }
            if let projectId = filter.projectId, generation.projectId != projectId { return false }
            if let teamId = filter.teamId {
                guard let project = generation.projectId.flatMap({ state.projects[$0] }), project.deletedAt == nil, project.teamId == teamId else {
                    return false
                }
            }
            return true
        }
        return try MemoryState.page(matching.map { (id: $0.id, value: $0) }, page)
    }

    /// Every membership of a live user in live teams.
    public func memberships(userId: String) async throws -> [TeamMember] {
        let state = current()
        _ = try state.liveUser(userId)
        return state.members.compactMap { teamId, members in state.isLive(.teams, teamId) ? members[userId] : nil }
            .sorted { MemoryState.precedes($0.teamId, $1.teamId) }
    }

    /// The same counts as the SQL backend, from one snapshot of the state.
    public func visibilityPreview(projectId: String, to visibility: Visibility, now: Int64) async throws -> VisibilityPreview {
        let state = current()
        let project = try state.liveProject(projectId)
        let generations = state.generations.values.filter { $0.deletedAt == nil && $0.projectId == projectId }
        let changed: Int
        switch VisibilityChange(from: project.visibility, to: visibility) {
        case .none: changed = 0
        case .everyone: changed = generations.count
        case .team:
            guard let teamId = project.teamId, state.isLive(.teams, teamId) else {
                changed = 0
                break
            }
            let readers = (state.members[teamId] ?? [:]).values.filter { member in
                guard member.isActive, let user = state.users[member.userId]?.user, user.deletedAt == nil, user.status == .active, !user.isAdmin,
                      member.userId != project.ownerId
                else { return false }
                if let start = member.startsAt.flatMap(Timestamp.epochMilliseconds), start > now { return false }
                if let end = member.expiresAt.flatMap(Timestamp.epochMilliseconds), end <= now { return false }
                return MemoryRoleGrants.grants(member.role, .generation, .read) || member.permissions.contains(.read)
            }.map(\.userId)
            changed = generations.filter { generation in readers.contains { $0 != generation.ownerId } }.count
        }
        return VisibilityPreview(projectId: projectId, visibility: project.visibility, proposedVisibility: visibility,
                                 generations: generations.count, changedGenerations: changed)
    }
}
