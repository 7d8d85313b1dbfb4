import Logging
import PortcullisModel
import PortcullisStore
import PostgresNIO

/// One REPEATABLE READ, READ ONLY transaction on a reader connection: every statement sees the snapshot its first
/// statement took. Valid only inside `PostgresStore.withSnapshot`; each statement waits for its rows (see
/// `PostgresSnapshotPool` for why that is safe).
struct PostgresSnapshot: AuthorizationSnapshot {
    let connection: PostgresConnection
    let logger: Logger

    private func rows(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws -> [PostgresRow] {
        try PostgresSnapshotPool.rows(connection, sql, binds, logger: logger)
    }

    func revision() throws -> Int64 {
        guard let row = try rows(PostgresAuthorizationQueries.revision).first else { return 0 }
        var columns = PostgresColumns(row)
        return try columns.next()
    }

    func subject(_ userId: String) throws -> SubjectFacts? {
        guard let row = try rows(PostgresAuthorizationQueries.subject, .of(userId)).first else { return nil }
        var columns = PostgresColumns(row)
        return SubjectFacts(isAdmin: try columns.next(), isActive: try columns.next())
    }

    func generation(_ id: String, userId: String, action: Action) throws -> GenerationFacts? {
        guard let row = try rows(PostgresAuthorizationQueries.generation, .of(id, userId, action.rawValue)).first else { return nil }
        var columns = PostgresColumns(row)
        return try Self.generationFacts(&columns)
    }

    func project(_ id: String, userId: String, action: Action) throws -> ProjectFacts? {
        guard let row = try rows(PostgresAuthorizationQueries.project, .of(id, userId, action.rawValue)).first else { return nil }
        var columns = PostgresColumns(row)
        return try Self.projectFacts(&columns)
    }

    func team(_ id: String, userId: String, action: Action) throws -> TeamFacts? {
        guard let row = try rows(PostgresAuthorizationQueries.team, .of(id, userId, action.rawValue)).first else { return nil }
        var columns = PostgresColumns(row)
        return try Self.teamFacts(&columns)
    }

    // MARK: Decoding facts

    /// `PostgresAuthorizationQueries.generationColumns`, from the reader's position.
    static func generationFacts(_ columns: inout PostgresColumns) throws(PortcullisError) -> GenerationFacts {
        let ownerId: String = try columns.next()
        let isDeleted: Bool = try columns.next()
        let projectId: String? = try columns.next()
        let projectOwner: String? = try columns.next()
        let teamId: String? = try columns.next()
        let visibility: String? = try columns.next()
        let projectDeleted: Bool = try columns.next()
        let teamDeleted: Bool = try columns.next()
        let membership = try Self.membership(&columns)
        let project = projectId.map { _ in
            ProjectFacts(ownerId: projectOwner ?? "", teamId: teamId, visibility: Visibility(rawValue: visibility ?? "") ?? .private,
                         isDeleted: projectDeleted, teamIsDeleted: teamDeleted, membership: membership)
        }
        return GenerationFacts(ownerId: ownerId, isDeleted: isDeleted, project: project, projectId: projectId)
    }

    /// `PostgresAuthorizationQueries.projectColumns`, from the reader's position.
    static func projectFacts(_ columns: inout PostgresColumns) throws(PortcullisError) -> ProjectFacts {
        let ownerId: String = try columns.next()
        let teamId: String? = try columns.next()
        let visibility: String = try columns.next()
        let isDeleted: Bool = try columns.next()
        let teamDeleted: Bool = try columns.next()
        return ProjectFacts(ownerId: ownerId, teamId: teamId, visibility: Visibility(rawValue: visibility) ?? .private, isDeleted: isDeleted,
                            teamIsDeleted: teamDeleted, membership: try Self.membership(&columns))
    }

    /// `PostgresAuthorizationQueries.teamColumns`, from the reader's position.
    static func teamFacts(_ columns: inout PostgresColumns) throws(PortcullisError) -> TeamFacts {
        let isDeleted: Bool = try columns.next()
        let role: String? = try columns.next()
        let isActive: Bool = try columns.next()
        let grants: Bool = try columns.next()
        let startsAt: Int64? = try columns.next()
        let expiresAt: Int64? = try columns.next()
        let membership = role.map {
            MembershipFacts(role: TeamRole(rawValue: $0) ?? .viewer, roleGrantsAction: grants, permitsAction: false, isActive: isActive,
                            startsAt: startsAt, expiresAt: expiresAt)
        }
        return TeamFacts(isDeleted: isDeleted, membership: membership)
    }

    /// Columns `role, is_active, permits, role_grants, starts_at, expires_at`; nil when the user is no member.
    private static func membership(_ columns: inout PostgresColumns) throws(PortcullisError) -> MembershipFacts? {
        let role: String? = try columns.next()
        let isActive: Bool = try columns.next()
        let permits: Bool = try columns.next()
        let grants: Bool = try columns.next()
        let startsAt: Int64? = try columns.next()
        let expiresAt: Int64? = try columns.next()
        guard let role, let teamRole = TeamRole(rawValue: role) else { return nil }
        return MembershipFacts(role: teamRole, roleGrantsAction: grants, permitsAction: permits, isActive: isActive, startsAt: startsAt,
                               expiresAt: expiresAt)
    }
}
