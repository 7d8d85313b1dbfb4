import Logging
import PortcullisModel
import PortcullisStore
import PostgresNIO

/// The inserts of management writes, each recording its change: the PostgreSQL twins of `SQLiteStore`'s.
extension PostgresStore {
    static func insertUser(_ connection: PostgresConnection, _ input: NewUser, passwordHash: String?, changes: inout ChangeRecorder,
                           logger: Logger) async throws -> User {
        let id = input.id ?? Identifier.generate(prefix: "usr")
        let user = User(id: id, email: input.email, displayName: input.displayName, isAdmin: input.isAdmin, status: input.status,
                        createdAt: input.createdAt ?? WallClock.system.timestamp(), deletedAt: input.deletedAt)
        // The id first, then the email: SQLite reports a taken id before a taken email, and so does this.
        try await requireNewId(connection, .users, id, logger: logger)
        if user.deletedAt == nil { try await requireEmailFree(connection, user.email, logger: logger) }
        try await execute(connection, """
            INSERT INTO users (id, email, display_name, password_hash, is_admin, status, created_at, deleted_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """, .of(user.id, user.email, user.displayName, passwordHash, user.isAdmin, user.status.rawValue, user.createdAt, user.deletedAt),
            logger: logger)
        try changes.created(user)
        return user
    }

    static func insertTeam(_ connection: PostgresConnection, _ input: NewTeam, changes: inout ChangeRecorder, logger: Logger) async throws -> Team {
        let id = input.id ?? Identifier.generate(prefix: "team")
        try await requireReference(connection, .users, input.ownerId, field: "owner_id", logger: logger)
        let team = Team(id: id, name: input.name, ownerId: input.ownerId, createdAt: input.createdAt ?? WallClock.system.timestamp(),
                        deletedAt: input.deletedAt)
        try await requireNewId(connection, .teams, id, logger: logger)
        try await execute(connection, "INSERT INTO teams (id, name, owner_id, created_at, deleted_at) VALUES ($1, $2, $3, $4, $5)",
                          .of(team.id, team.name, team.ownerId, team.createdAt, team.deletedAt), logger: logger)
        try changes.created(team)
        // The owner is a member with role owner.
        try await upsertMember(connection, teamId: team.id, userId: team.ownerId, MembershipInput(role: .owner, createdAt: team.createdAt),
                               changes: &changes, logger: logger)
        return team
    }

    /// Creates or replaces a membership (a replaced one keeps its `created_at`); returns it and whether it is new.
    @discardableResult
    static func upsertMember(_ connection: PostgresConnection, teamId: String, userId: String, _ input: MembershipInput,
                             changes: inout ChangeRecorder, logger: Logger) async throws -> (TeamMember, Bool) {
        let rows = try await query(connection, "SELECT \(memberColumns) FROM team_members WHERE team_id = $1 AND user_id = $2 FOR UPDATE",
                                   .of(teamId, userId), logger: logger)
        let existing = try rows.first.map(member)
        let member = TeamMember(input, teamId: teamId, userId: userId,
                                createdAt: existing?.createdAt ?? input.createdAt ?? WallClock.system.timestamp())
        let permissions = member.permissions.map(\.rawValue).joined(separator: " ")
        try await execute(connection, """
            INSERT INTO team_members (team_id, user_id, role, permissions, is_active, created_at, starts_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role, permissions = excluded.permissions,
                is_active = excluded.is_active, starts_at = excluded.starts_at, expires_at = excluded.expires_at
            """, .of(teamId, userId, member.role.rawValue, permissions, member.isActive, member.createdAt, input.startsAt, input.expiresAt),
            logger: logger)
        try changes.put(existing, member)
        return (member, existing == nil)
    }

    static func insertProject(_ connection: PostgresConnection, _ input: NewProject, changes: inout ChangeRecorder, logger: Logger) async throws
        -> Project
    {
        let id = input.id ?? Identifier.generate(prefix: "prj")
        try await requireReference(connection, .users, input.ownerId, field: "owner_id", logger: logger)
        try await requireReference(connection, .teams, input.teamId, field: "team_id", logger: logger)
        let project = Project(id: id, name: input.name, ownerId: input.ownerId, teamId: input.teamId, visibility: input.visibility,
                              createdAt: input.createdAt ?? WallClock.system.timestamp(), deletedAt: input.deletedAt)
        try await requireNewId(connection, .projects, id, logger: logger)
        try await execute(connection, """
            INSERT INTO projects (id, name, owner_id, team_id, visibility, created_at, deleted_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, .of(project.id, project.name, project.ownerId, project.teamId, project.visibility.rawValue, project.createdAt, project.deletedAt),
            logger: logger)
        try changes.created(project)
        return project
    }

    static func insertGeneration(_ connection: PostgresConnection, _ input: NewGeneration, changes: inout ChangeRecorder, logger: Logger)
        async throws -> Generation
    {
        let id = input.id ?? Identifier.generate(prefix: "gen")
        try await requireReference(connection, .users, input.ownerId, field: "owner_id", logger: logger)
        try await requireReference(connection, .projects, input.projectId, field: "project_id", logger: logger)
        let generation = Generation(id: id, ownerId: input.ownerId, projectId: input.projectId, status: input.status, mediaKey: input.mediaKey,
                                    createdAt: input.createdAt ?? WallClock.system.timestamp(), deletedAt: input.deletedAt)
        try await requireNewId(connection, .generations, id, logger: logger)
        try await execute(connection, """
            INSERT INTO generations (id, owner_id, project_id, status, media_key, created_at, deleted_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, .of(generation.id, generation.ownerId, generation.projectId, generation.status.rawValue, generation.mediaKey,
                     generation.createdAt, generation.deletedAt), logger: logger)
        try changes.created(generation)
        return generation
    }
}
