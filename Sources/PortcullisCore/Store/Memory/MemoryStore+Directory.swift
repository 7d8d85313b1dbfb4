import PortcullisModel
import PortcullisPolicy

/// Users, teams, memberships, projects and generations, with the SQL backend's checks, errors and dependency keys
/// (compare `SQLiteStore+Directory.swift`).
extension MemoryStore {
    // MARK: Users

    /// Creates a user (409 on a taken id or live email; ids are never reused).
    @discardableResult
    public func createUser(_ input: NewUser, passwordHash: String?) async throws -> Written<User> {
        try write { state, _, changes in try state.insertUser(input, passwordHash: passwordHash, clock: clock, changes: &changes) }
    }

    /// A live user, or `not_found`.
    public func user(_ id: String) async throws -> User {
        try current().liveUser(id)
    }

    /// Changes a user; a new password, disabling or deleting ends their sessions (`UserStore.updateUser`).
    @discardableResult
    public func updateUser(_ id: String, _ patch: UserPatch, passwordHash: String?) async throws -> Written<User> {
        try write { state, changed, changes in
            changed.append(.user(id))
            let before = try state.liveUser(id)
            var user = before
            if let email = patch.email {
                try state.requireEmailFree(email, except: id)
                user.email = email
            }
            if let displayName = patch.displayName { user.displayName = displayName }
            if let isAdmin = patch.isAdmin { user.isAdmin = isAdmin }
            if let status = patch.status { user.status = status }
            // A new password or a disabled account ends every session.
            if passwordHash != nil || user.status == .disabled { state.endSessions(userId: id) }
            state.users[id]?.user = user
            if let passwordHash { state.users[id]?.passwordHash = passwordHash }
            try changes.updated(before, user)
            return user
        }
    }

    /// Soft-deletes a user and ends their sessions; returns the revision.
    @discardableResult
    public func deleteUser(_ id: String) async throws -> Int64 {
        try write { state, changed, changes in
            try state.softDelete(.users, id, clock: clock, changes: &changes)
            state.endSessions(userId: id)
            changed.append(.user(id))
        }.revision
    }

    /// One page of live users in id order.
    public func users(_ page: PageRequest) async throws -> Page<User> {
        try MemoryState.page(current().users.values.filter { $0.user.deletedAt == nil }.map { (id: $0.user.id, value: $0.user) }, page)
    }

    // MARK: Teams and members

    /// Creates a team and its owner's `owner` membership.
    @discardableResult
    public func createTeam(_ input: NewTeam) async throws -> Written<Team> {
        try write { state, changed, changes in
            let team = try state.insertTeam(input, clock: clock, changes: &changes)
            changed.append(.user(team.ownerId))
            return team
        }
    }

    /// A live team, or `not_found`.
    public func team(_ id: String) async throws -> Team {
        try current().liveTeam(id)
    }

    /// Renames a team or changes its owner (who then holds the owner role).
    @discardableResult
    public func updateTeam(_ id: String, _ patch: TeamPatch) async throws -> Written<Team> {
        try write { state, changed, changes in
            changed.append(.team(id))
            let before = try state.liveTeam(id)
            var team = before
            if let name = patch.name { team.name = name }
            var newOwner: String?
            if let ownerId = patch.ownerId, ownerId != team.ownerId {
                try state.requireReference(.users, ownerId, field: "owner_id")
                team.ownerId = ownerId
                newOwner = ownerId
                changed.append(.user(ownerId))
            }
            state.teams[id] = team
            try changes.updated(before, team)
            if let newOwner {
                // A new owner holds the owner role; the previous owner keeps their membership as it was.
                try state.upsertMember(teamId: id, userId: newOwner, MembershipInput(role: .owner), clock: clock, changes: &changes)
            }
            return team
        }
    }

    /// Soft-deletes a team (its memberships then grant nothing); returns the revision.
    @discardableResult
    public func deleteTeam(_ id: String) async throws -> Int64 {
        try write { state, changed, changes in
            try state.softDelete(.teams, id, clock: clock, changes: &changes)
            changed.append(.team(id))
        }.revision
    }

    /// One page of live teams in id order.
    public func teams(_ page: PageRequest) async throws -> Page<Team> {
        try MemoryState.page(current().teams.values.filter { $0.deletedAt == nil }.map { (id: $0.id, value: $0) }, page)
    }

    /// Creates or replaces a membership; `created` tells which (`TeamStore.putMember`).
    @discardableResult
    public func putMember(teamId: String, userId: String, _ input: MembershipInput) async throws -> (member: Written<TeamMember>, created: Bool) {
        let written = try write { state, changed, changes in
            guard state.isLive(.teams, teamId) else { throw PortcullisError.notFound("team", teamId) }
            try state.requireReference(.users, userId, field: "user_id")
            changed.append(.user(userId))
            return try state.upsertMember(teamId: teamId, userId: userId, input, clock: clock, changes: &changes)
        }
        return (Written(written.value.0, revision: written.revision), written.value.1)
    }

    /// Removes a membership; returns the revision.
    @discardableResult
    public func deleteMember(teamId: String, userId: String) async throws -> Int64 {
        try write { state, changed, changes in
            guard state.isLive(.teams, teamId) else { throw PortcullisError.notFound("team", teamId) }
            changed.append(.user(userId))
            guard let removed = state.members[teamId]?.removeValue(forKey: userId) else {
                throw PortcullisError(.notFound, "user '\(userId)' is not a member of team '\(teamId)'")
            }
            try changes.removed(removed)
        }.revision
    }

    /// Every membership of a live team, deleted users left out, in user id order.
    public func members(teamId: String) async throws -> [TeamMember] {
        let state = current()
        guard state.isLive(.teams, teamId) else { throw PortcullisError.notFound("team", teamId) }
        return (state.members[teamId] ?? [:]).values
            .filter { state.isLive(.users, $0.userId) }
            .sorted { MemoryState.precedes($0.userId, $1.userId) }
    }

    // MARK: Projects

    /// Creates a project.
    @discardableResult
    public func createProject(_ input: NewProject) async throws -> Written<Project> {
        try write { state, _, changes in try state.insertProject(input, clock: clock, changes: &changes) }
    }

    /// A live project, or `not_found`.
    public func project(_ id: String) async throws -> Project {
        try current().liveProject(id)
    }

    /// Changes a project's name, owner, team or visibility.
    @discardableResult
    public func updateProject(_ id: String, _ patch: ProjectPatch) async throws -> Written<Project> {
        try write { state, changed, changes in
            changed.append(.project(id))
            let before = try state.liveProject(id)
            var project = before
            if let name = patch.name { project.name = name }
            if let ownerId = patch.ownerId {
                try state.requireReference(.users, ownerId, field: "owner_id")
                project.ownerId = ownerId
            }
            if case .some(let teamId) = patch.teamId {
                try state.requireReference(.teams, teamId, field: "team_id")
                project.teamId = teamId
            }
            if let visibility = patch.visibility { project.visibility = visibility }
            state.projects[id] = project
            try changes.updated(before, project)
            return project
        }
    }

    /// Soft-deletes a project (its generations then answer `not_found` to checks); returns the revision.
    @discardableResult
    public func deleteProject(_ id: String) async throws -> Int64 {
        try write { state, changed, changes in
            try state.softDelete(.projects, id, clock: clock, changes: &changes)
            changed.append(.project(id))
        }.revision
    }

    /// One page of live projects in id order.
    public func projects(_ page: PageRequest) async throws -> Page<Project> {
        try MemoryState.page(current().projects.values.filter { $0.deletedAt == nil }.map { (id: $0.id, value: $0) }, page)
    }

    // MARK: Generations

    /// Creates a generation.
    @discardableResult
    public func createGeneration(_ input: NewGeneration) async throws -> Written<Generation> {
        try write { state, _, changes in try state.insertGeneration(input, clock: clock, changes: &changes) }
    }

    /// A live generation, or `not_found`.
    public func generation(_ id: String) async throws -> Generation {
        try current().liveGeneration(id)
    }

    /// Changes a generation's owner, project, status or media key.
    @discardableResult
    public func updateGeneration(_ id: String, _ patch: GenerationPatch) async throws -> Written<Generation> {
        try write { state, changed, changes in
            changed.append(.generation(id))
            let before = try state.liveGeneration(id)
            var generation = before
            if let ownerId = patch.ownerId {
                try state.requireReference(.users, ownerId, field: "owner_id")
                generation.ownerId = ownerId
            }
            if case .some(let projectId) = patch.projectId {
                try state.requireReference(.projects, projectId, field: "project_id")
                generation.projectId = projectId
            }
            if let status = patch.status { generation.status = status }
            if case .some(let mediaKey) = patch.mediaKey { generation.mediaKey = mediaKey }
            state.generations[id] = generation
            try changes.updated(before, generation)
            return generation
        }
    }

    /// Soft-deletes a generation; returns the revision.
    @discardableResult
    public func deleteGeneration(_ id: String) async throws -> Int64 {
        try write { state, changed, changes in
            try state.softDelete(.generations, id, clock: clock, changes: &changes)
            changed.append(.generation(id))
        }.revision
    }

    /// One page of live generations in id order.
    public func generations(_ page: PageRequest) async throws -> Page<Generation> {
        try MemoryState.page(current().generations.values.filter { $0.deletedAt == nil }.map { (id: $0.id, value: $0) }, page)
    }
}
