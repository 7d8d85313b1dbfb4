import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite
import Foundation
import GRDB

extension SQLiteStore: UserStore, TeamStore, ProjectStore, ImportStore {
    // MARK: Users

    /// Inserts the user in one write (409 for a taken id or a live email). Moves no version: nothing cached is about a new id.
    @discardableResult
    public func createUser(_ input: NewUser, passwordHash: String?) async throws -> Written<User> {
        try await write { db, _, changes in try Self.insertUser(db, input, passwordHash: passwordHash, changes: &changes) }
    }

    /// Reads on the reader pool (one prepared statement), not through GRDB: end-user requests read users on every miss.
    public func user(_ id: String) async throws -> User {
        guard let user = try readers.withConnection({ connection throws(PortcullisError) in try Self.liveUser(id, on: connection) }) else {
            throw PortcullisError.notFound("user", id)
        }
        return user
    }

    /// A live user, read on a reader connection (end-user requests and `/me` read users on every miss).
    static func liveUser(_ id: String, on connection: PreparedConnection) throws(PortcullisError) -> User? {
        let statement = try connection.statement(Self.userByIdSQL)
        statement.bind(1, id)
        guard try statement.step() else { return nil }
        return User(id: statement.text(0) ?? "", email: statement.text(1) ?? "", displayName: statement.text(2) ?? "",
                    isAdmin: statement.bool(3), status: UserStatus(rawValue: statement.text(4) ?? "") ?? .disabled,
                    createdAt: statement.text(5) ?? "", deletedAt: statement.text(6))
    }

    /// Normalizes `email` (nil for one with control or invisible characters) and looks the live user up by it.
    public func userCredentials(email: String) throws -> UserCredentials? {
        guard let email = try? Validate.normalizedEmail(email) else { return nil }
        do {
            return try pool.read { db in
                guard let row = try Row.fetchOne(
                    db, sql: "SELECT \(Self.userColumns), password_hash FROM users WHERE email = ? AND deleted_at IS NULL", arguments: [email])
                else { return nil }
                return UserCredentials(user: Self.user(row), passwordHash: row["password_hash"])
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Applies the patch and moves `user:<id>`; with a new hash, or when the user ends up disabled, also deletes their tokens.
    @discardableResult
    public func updateUser(_ id: String, _ patch: UserPatch, passwordHash: String?) async throws -> Written<User> {
        try await write { db, changed, changes in
            changed.append(.user(id))
            let before = try Self.fetchLive(db, .users, columns: Self.userColumns, id, Self.user)
            var user = before
            if let email = patch.email {
                try Self.requireEmailFree(db, email, except: id)
                user.email = email
            }
            if let displayName = patch.displayName { user.displayName = displayName }
            if let isAdmin = patch.isAdmin { user.isAdmin = isAdmin }
            if let status = patch.status { user.status = status }
            // A new password or a disabled account ends every session: old tokens must not outlive the reason they were trusted.
            if passwordHash != nil || user.status == .disabled { try Self.endSessions(db, userId: id) }
            try db.execute(
                sql: "UPDATE users SET email = ?, display_name = ?, is_admin = ?, status = ?, password_hash = COALESCE(?, password_hash) WHERE id = ?",
                arguments: [user.email, user.displayName, user.isAdmin, user.status.rawValue, passwordHash, id])
            try changes.updated(before, user)
            return user
        }
    }

    /// Soft-deletes the user, deletes their tokens and moves `user:<id>`; `not_found` when absent or already deleted.
    @discardableResult
    public func deleteUser(_ id: String) async throws -> Int64 {
        try await write { db, changed, changes in
            try Self.softDelete(db, .users, columns: Self.userColumns, id, Self.user, changes: &changes)
            try Self.endSessions(db, userId: id)
            changed.append(.user(id))
        }.revision
    }

    /// Reads the page through GRDB, keyset-paginated on the id.
    public func users(_ page: PageRequest) async throws -> Page<User> {
        try await read { db in try Self.page(db, .users, columns: Self.userColumns, page, Self.user, id: \.id) }
    }

    // MARK: Teams and members

    /// Inserts the team and its owner's `owner` membership, moving the owner's `user:` version (their memberships changed).
    @discardableResult
    public func createTeam(_ input: NewTeam) async throws -> Written<Team> {
        try await write { db, changed, changes in
            let team = try Self.insertTeam(db, input, changes: &changes)
            changed.append(.user(team.ownerId))
            return team
        }
    }

    /// Reads the live team through GRDB.
    public func team(_ id: String) async throws -> Team {
        try await read { db in try Self.fetchLive(db, .teams, columns: Self.teamColumns, id, Self.team) }
    }

    /// Moves `team:<id>`; a new owner also gets an active `owner` membership without extra permissions (replacing any
    /// they had), and their `user:` version moves.
    @discardableResult
    public func updateTeam(_ id: String, _ patch: TeamPatch) async throws -> Written<Team> {
        try await write { db, changed, changes in
            changed.append(.team(id))
            let before = try Self.fetchLive(db, .teams, columns: Self.teamColumns, id, Self.team)
            var team = before
            if let name = patch.name { team.name = name }
            var newOwner: String?
            if let ownerId = patch.ownerId, ownerId != team.ownerId {
                try Self.requireReference(db, .users, ownerId, field: "owner_id")
                team.ownerId = ownerId
                newOwner = ownerId
                changed.append(.user(ownerId))
            }
            try db.execute(sql: "UPDATE teams SET name = ?, owner_id = ? WHERE id = ?", arguments: [team.name, team.ownerId, id])
            // The team's change first, then the membership it gives its new owner.
            try changes.updated(before, team)
            if let newOwner {
                // A new owner holds the owner role; the previous owner keeps their membership as it was.
                try Self.upsertMember(db, teamId: id, userId: newOwner, MembershipInput(role: .owner), changes: &changes)
            }
            return team
        }
    }

    /// Soft-deletes the team and moves `team:<id>`.
    @discardableResult
    public func deleteTeam(_ id: String) async throws -> Int64 {
        try await write { db, changed, changes in
            try Self.softDelete(db, .teams, columns: Self.teamColumns, id, Self.team, changes: &changes)
            changed.append(.team(id))
        }.revision
    }

    /// Reads the page through GRDB, keyset-paginated on the id.
    public func teams(_ page: PageRequest) async throws -> Page<Team> {
        try await read { db in try Self.page(db, .teams, columns: Self.teamColumns, page, Self.team, id: \.id) }
    }

    /// Upserts the membership (a replaced one keeps its `created_at`) and moves the member's `user:` version;
    /// `not_found` for a team that is not live, 422 for a user who is not.
    @discardableResult
    public func putMember(teamId: String, userId: String, _ input: MembershipInput) async throws -> (member: Written<TeamMember>, created: Bool) {
        let written = try await write { db, changed, changes in
            guard try Self.isLive(db, .teams, teamId) else { throw PortcullisError.notFound("team", teamId) }
            try Self.requireReference(db, .users, userId, field: "user_id")
            changed.append(.user(userId))
            let (member, created) = try Self.upsertMember(db, teamId: teamId, userId: userId, input, changes: &changes)
            return MemberWrite(member: member, created: created)
        }
        return (Written(written.value.member, revision: written.revision), written.value.created)
    }

    /// Deletes the membership row and moves the member's `user:` version.
    @discardableResult
    public func deleteMember(teamId: String, userId: String) async throws -> Int64 {
        try await write { db, changed, changes in
            guard try Self.isLive(db, .teams, teamId) else { throw PortcullisError.notFound("team", teamId) }
            changed.append(.user(userId))
            guard let row = try Row.fetchOne(db, sql: "DELETE FROM team_members WHERE team_id = ? AND user_id = ? RETURNING \(Self.memberColumns)",
                                             arguments: [teamId, userId])
            else {
                throw PortcullisError(.notFound, "user '\(userId)' is not a member of team '\(teamId)'")
            }
            try changes.removed(Self.member(row))
        }.revision
    }

    /// Reads the team's memberships through GRDB, joined with users to leave deleted ones out.
    public func members(teamId: String) async throws -> [TeamMember] {
        try await read { db in
            guard try Self.isLive(db, .teams, teamId) else { throw PortcullisError.notFound("team", teamId) }
            return try Row.fetchAll(db, sql: """
                SELECT m.team_id, m.user_id, m.role, m.permissions, m.is_active, m.created_at, m.starts_at, m.expires_at FROM team_members m
                JOIN users u ON u.id = m.user_id AND u.deleted_at IS NULL
                WHERE m.team_id = ? ORDER BY m.user_id
                """, arguments: [teamId]).map(Self.member)
        }
    }

    // MARK: Projects

    /// Inserts the project in one write; moves no version.
    @discardableResult
    public func createProject(_ input: NewProject) async throws -> Written<Project> {
        try await write { db, _, changes in try Self.insertProject(db, input, changes: &changes) }
    }

    /// Reads the live project through GRDB.
    public func project(_ id: String) async throws -> Project {
        try await read { db in try Self.fetchLive(db, .projects, columns: Self.projectColumns, id, Self.project) }
    }

    /// Applies the patch and moves `project:<id>` (whatever changed: owner, team or visibility all change decisions).
    @discardableResult
    public func updateProject(_ id: String, _ patch: ProjectPatch) async throws -> Written<Project> {
        try await write { db, changed, changes in
            changed.append(.project(id))
            let before = try Self.fetchLive(db, .projects, columns: Self.projectColumns, id, Self.project)
            var project = before
            if let name = patch.name { project.name = name }
            if let ownerId = patch.ownerId {
                try Self.requireReference(db, .users, ownerId, field: "owner_id")
                project.ownerId = ownerId
            }
            if case .some(let teamId) = patch.teamId {
                try Self.requireReference(db, .teams, teamId, field: "team_id")
                project.teamId = teamId
            }
            if let visibility = patch.visibility { project.visibility = visibility }
            try db.execute(sql: "UPDATE projects SET name = ?, owner_id = ?, team_id = ?, visibility = ? WHERE id = ?",
                           arguments: [project.name, project.ownerId, project.teamId, project.visibility.rawValue, id])
            try changes.updated(before, project)
            return project
        }
    }

    /// Soft-deletes the project and moves `project:<id>`.
    @discardableResult
    public func deleteProject(_ id: String) async throws -> Int64 {
        try await write { db, changed, changes in
            try Self.softDelete(db, .projects, columns: Self.projectColumns, id, Self.project, changes: &changes)
            changed.append(.project(id))
        }.revision
    }

    /// Reads the page through GRDB, keyset-paginated on the id.
    public func projects(_ page: PageRequest) async throws -> Page<Project> {
        try await read { db in try Self.page(db, .projects, columns: Self.projectColumns, page, Self.project, id: \.id) }
    }
}

private struct MemberWrite: Sendable {
    var member: TeamMember
    var created: Bool
}
