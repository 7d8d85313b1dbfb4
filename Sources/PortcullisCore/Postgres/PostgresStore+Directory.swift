import PortcullisModel
import PortcullisStore
import PostgresNIO

/// Users, teams, memberships and projects: each write one transaction (`write`), moving the same versions as
/// `SQLiteStore+Directory` and recording the same changes.
extension PostgresStore: UserStore, TeamStore, ProjectStore {
    // MARK: Users

    /// Inserts the user (409 for a taken id or a live email). Moves no version: nothing cached is about a new id.
    @discardableResult
    public func createUser(_ input: NewUser, passwordHash: String?) async throws -> Written<User> {
        let logger = logger
        return try await write { connection, _, changes in
            try await Self.insertUser(connection, input, passwordHash: passwordHash, changes: &changes, logger: logger)
        }
    }

    /// A live user, or `not_found`.
    public func user(_ id: String) async throws -> User {
        let logger = logger
        return try await read { connection in
            let rows = try await Self.query(connection, "SELECT \(Self.userColumns) FROM users WHERE id = $1 AND deleted_at IS NULL",
                                            .of(id), logger: logger)
            guard let row = rows.first else { throw PortcullisError.notFound("user", id) }
            return try Self.user(row)
        }
    }

    /// Applies the patch and moves `user:<id>`; with a new hash, or when the user ends up disabled, also deletes their tokens.
    @discardableResult
    public func updateUser(_ id: String, _ patch: UserPatch, passwordHash: String?) async throws -> Written<User> {
        let logger = logger
        return try await write { connection, changed, changes in
            changed.append(.user(id))
            let before = try await Self.fetchLive(connection, .users, columns: Self.userColumns, id, logger: logger, Self.user)
            var user = before
            if let email = patch.email {
                try await Self.requireEmailFree(connection, email, except: id, logger: logger)
                user.email = email
            }
            if let displayName = patch.displayName { user.displayName = displayName }
            if let isAdmin = patch.isAdmin { user.isAdmin = isAdmin }
            if let status = patch.status { user.status = status }
            // A new password or a disabled account ends every session: old tokens must not outlive the reason they were trusted.
            if passwordHash != nil || user.status == .disabled { try await Self.endSessions(connection, userId: id, logger: logger) }
            try await Self.execute(connection, """
                UPDATE users SET email = $1, display_name = $2, is_admin = $3, status = $4, password_hash = COALESCE($5, password_hash)
                WHERE id = $6
                """, .of(user.email, user.displayName, user.isAdmin, user.status.rawValue, passwordHash, id), logger: logger)
            try changes.updated(before, user)
            return user
        }
    }

    /// Soft-deletes the user, deletes their tokens and moves `user:<id>`; `not_found` when absent or already deleted.
    @discardableResult
    public func deleteUser(_ id: String) async throws -> Int64 {
        let logger = logger
        return try await write { connection, changed, changes in
            try await Self.softDelete(connection, .users, columns: Self.userColumns, id, logger: logger, changes: &changes, Self.user) {
                var user = $0
                user.deletedAt = nil
                return user
            }
            try await Self.endSessions(connection, userId: id, logger: logger)
            changed.append(.user(id))
        }.revision
    }

    /// One page of live users in id order.
    public func users(_ page: PageRequest) async throws -> Page<User> {
        let logger = logger
        return try await read { connection in
            try await Self.page(connection, .users, columns: Self.userColumns, page, logger: logger, Self.user, id: \.id)
        }
    }

    // MARK: Teams and members

    /// Inserts the team and its owner's `owner` membership, moving the owner's `user:` version.
    @discardableResult
    public func createTeam(_ input: NewTeam) async throws -> Written<Team> {
        let logger = logger
        return try await write { connection, changed, changes in
            let team = try await Self.insertTeam(connection, input, changes: &changes, logger: logger)
            changed.append(.user(team.ownerId))
            return team
        }
    }

    /// A live team, or `not_found`.
    public func team(_ id: String) async throws -> Team {
        let logger = logger
        return try await read { connection in
            let rows = try await Self.query(connection, "SELECT \(Self.teamColumns) FROM teams WHERE id = $1 AND deleted_at IS NULL",
                                            .of(id), logger: logger)
            guard let row = rows.first else { throw PortcullisError.notFound("team", id) }
            return try Self.team(row)
        }
    }

    /// Moves `team:<id>`; a new owner also gets an active `owner` membership (replacing any they had), and their
    /// `user:` version moves.
    @discardableResult
    public func updateTeam(_ id: String, _ patch: TeamPatch) async throws -> Written<Team> {
        let logger = logger
        return try await write { connection, changed, changes in
            changed.append(.team(id))
            let before = try await Self.fetchLive(connection, .teams, columns: Self.teamColumns, id, logger: logger, Self.team)
            var team = before
            if let name = patch.name { team.name = name }
            var newOwner: String?
            if let ownerId = patch.ownerId, ownerId != team.ownerId {
                try await Self.requireReference(connection, .users, ownerId, field: "owner_id", logger: logger)
                team.ownerId = ownerId
                newOwner = ownerId
                changed.append(.user(ownerId))
            }
            try await Self.execute(connection, "UPDATE teams SET name = $1, owner_id = $2 WHERE id = $3", .of(team.name, team.ownerId, id),
                                   logger: logger)
            // The team's change first, then the membership it gives its new owner.
            try changes.updated(before, team)
            if let newOwner {
                try await Self.upsertMember(connection, teamId: id, userId: newOwner, MembershipInput(role: .owner), changes: &changes,
                                            logger: logger)
            }
            return team
        }
    }

    /// Soft-deletes the team and moves `team:<id>`.
    @discardableResult
    public func deleteTeam(_ id: String) async throws -> Int64 {
        let logger = logger
        return try await write { connection, changed, changes in
            try await Self.softDelete(connection, .teams, columns: Self.teamColumns, id, logger: logger, changes: &changes, Self.team) {
                var team = $0
                team.deletedAt = nil
                return team
            }
            changed.append(.team(id))
        }.revision
    }

    /// One page of live teams in id order.
    public func teams(_ page: PageRequest) async throws -> Page<Team> {
        let logger = logger
        return try await read { connection in
            try await Self.page(connection, .teams, columns: Self.teamColumns, page, logger: logger, Self.team, id: \.id)
        }
    }

    /// Upserts the membership and moves the member's `user:` version; `not_found` for a team that is not live, 422
    /// for a user who is not.
    @discardableResult
    public func putMember(teamId: String, userId: String, _ input: MembershipInput) async throws -> (member: Written<TeamMember>, created: Bool) {
        let logger = logger
        let written = try await write { connection, changed, changes in
            guard try await Self.exists(connection, .teams, teamId, live: true, logger: logger) else { throw PortcullisError.notFound("team", teamId) }
            try await Self.requireReference(connection, .users, userId, field: "user_id", logger: logger)
            changed.append(.user(userId))
            let (member, created) = try await Self.upsertMember(connection, teamId: teamId, userId: userId, input, changes: &changes, logger: logger)
            return PostgresMemberWrite(member: member, created: created)
        }
        return (Written(written.value.member, revision: written.revision), written.value.created)
    }

    /// Deletes the membership row and moves the member's `user:` version.
    @discardableResult
    public func deleteMember(teamId: String, userId: String) async throws -> Int64 {
        let logger = logger
        return try await write { connection, changed, changes in
            guard try await Self.exists(connection, .teams, teamId, live: true, logger: logger) else { throw PortcullisError.notFound("team", teamId) }
            changed.append(.user(userId))
            let rows = try await Self.query(
                connection, "DELETE FROM team_members WHERE team_id = $1 AND user_id = $2 RETURNING \(Self.memberColumns)",
                .of(teamId, userId), logger: logger)
            guard let row = rows.first else { throw PortcullisError(.notFound, "user '\(userId)' is not a member of team '\(teamId)'") }
            try changes.removed(Self.member(row))
        }.revision
    }

    /// Every membership of a live team, inactive ones included, deleted users left out, in user id order.
    public func members(teamId: String) async throws -> [TeamMember] {
        let logger = logger
        return try await read { connection in
            guard try await Self.exists(connection, .teams, teamId, live: true, logger: logger) else { throw PortcullisError.notFound("team", teamId) }
            return try await Self.query(connection, """
                SELECT m.team_id, m.user_id, m.role, m.permissions, m.is_active, m.created_at, m.starts_at, m.expires_at FROM team_members m
                JOIN users u ON u.id = m.user_id AND u.deleted_at IS NULL
                WHERE m.team_id = $1 ORDER BY m.user_id
                """, .of(teamId), logger: logger).map(Self.member)
        }
    }

    // MARK: Projects

    /// Inserts the project; moves no version.
    @discardableResult
    public func createProject(_ input: NewProject) async throws -> Written<Project> {
        let logger = logger
        return try await write { connection, _, changes in try await Self.insertProject(connection, input, changes: &changes, logger: logger) }
    }

    /// A live project, or `not_found`.
    public func project(_ id: String) async throws -> Project {
        let logger = logger
        return try await read { connection in
            let rows = try await Self.query(connection, "SELECT \(Self.projectColumns) FROM projects WHERE id = $1 AND deleted_at IS NULL",
                                            .of(id), logger: logger)
            guard let row = rows.first else { throw PortcullisError.notFound("project", id) }
            return try Self.project(row)
        }
    }

    /// Applies the patch and moves `project:<id>`.
    @discardableResult
    public func updateProject(_ id: String, _ patch: ProjectPatch) async throws -> Written<Project> {
        let logger = logger
        return try await write { connection, changed, changes in
            changed.append(.project(id))
            let before = try await Self.fetchLive(connection, .projects, columns: Self.projectColumns, id, logger: logger, Self.project)
            var project = before
            if let name = patch.name { project.name = name }
            if let ownerId = patch.ownerId {
                try await Self.requireReference(connection, .users, ownerId, field: "owner_id", logger: logger)
                project.ownerId = ownerId
            }
            if case .some(let teamId) = patch.teamId {
                try await Self.requireReference(connection, .teams, teamId, field: "team_id", logger: logger)
                project.teamId = teamId
            }
            if let visibility = patch.visibility { project.visibility = visibility }
            try await Self.execute(connection, "UPDATE projects SET name = $1, owner_id = $2, team_id = $3, visibility = $4 WHERE id = $5",
                                   .of(project.name, project.ownerId, project.teamId, project.visibility.rawValue, id), logger: logger)
            try changes.updated(before, project)
            return project
        }
    }

    /// Soft-deletes the project and moves `project:<id>`.
    @discardableResult
    public func deleteProject(_ id: String) async throws -> Int64 {
        let logger = logger
        return try await write { connection, changed, changes in
            try await Self.softDelete(connection, .projects, columns: Self.projectColumns, id, logger: logger, changes: &changes, Self.project) {
                var project = $0
                project.deletedAt = nil
                return project
            }
            changed.append(.project(id))
        }.revision
    }

    /// One page of live projects in id order.
    public func projects(_ page: PageRequest) async throws -> Page<Project> {
        let logger = logger
        return try await read { connection in
            try await Self.page(connection, .projects, columns: Self.projectColumns, page, logger: logger, Self.project, id: \.id)
        }
    }
}

private struct PostgresMemberWrite: Sendable {
    var member: TeamMember
    var created: Bool
}
