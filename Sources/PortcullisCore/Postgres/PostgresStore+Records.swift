import Logging
import PortcullisModel
import PortcullisStore
import PostgresNIO

/// Row mapping and the existence checks shared by management writes (the PostgreSQL twin of `SQLiteStore+Records`).
extension PostgresStore {
    static let userColumns = "id, email, display_name, is_admin, status, created_at, deleted_at"
    static let teamColumns = "id, name, owner_id, created_at, deleted_at"
    static let memberColumns = "team_id, user_id, role, permissions, is_active, created_at, starts_at, expires_at"
    static let projectColumns = "id, name, owner_id, team_id, visibility, created_at, deleted_at"
    static let generationColumns = "id, owner_id, project_id, status, media_key, created_at, deleted_at"

    static func user(_ row: PostgresRow) throws -> User {
        var columns = PostgresColumns(row)
        return User(id: try columns.next(), email: try columns.next(), displayName: try columns.next(), isAdmin: try columns.next(),
                    status: UserStatus(rawValue: try columns.next()) ?? .disabled, createdAt: try columns.next(), deletedAt: try columns.next())
    }

    static func team(_ row: PostgresRow) throws -> Team {
        var columns = PostgresColumns(row)
        return Team(id: try columns.next(), name: try columns.next(), ownerId: try columns.next(), createdAt: try columns.next(),
                    deletedAt: try columns.next())
    }

    static func member(_ row: PostgresRow) throws -> TeamMember {
        var columns = PostgresColumns(row)
        return try member(&columns)
    }

    /// A membership from `columns`' next `memberColumns`.
    static func member(_ columns: inout PostgresColumns) throws -> TeamMember {
        let teamId: String = try columns.next(), userId: String = try columns.next(), role: String = try columns.next()
        let permissions: String = try columns.next()
        return TeamMember(teamId: teamId, userId: userId, role: TeamRole(rawValue: role) ?? .viewer,
                          permissions: permissions.split(separator: " ").compactMap { Action(rawValue: String($0)) },
                          isActive: try columns.next(), createdAt: try columns.next(),
                          startsAt: (try columns.next(Int64?.self)).map { Timestamp.format(epochMilliseconds: $0) },
                          expiresAt: (try columns.next(Int64?.self)).map { Timestamp.format(epochMilliseconds: $0) })
    }

    static func project(_ row: PostgresRow) throws -> Project {
        var columns = PostgresColumns(row)
        return Project(id: try columns.next(), name: try columns.next(), ownerId: try columns.next(), teamId: try columns.next(),
                       visibility: Visibility(rawValue: try columns.next()) ?? .private, createdAt: try columns.next(),
                       deletedAt: try columns.next())
    }

    static func generation(_ row: PostgresRow) throws -> Generation {
        var columns = PostgresColumns(row)
        return Generation(id: try columns.next(), ownerId: try columns.next(), projectId: try columns.next(),
                          status: GenerationStatus(rawValue: try columns.next()) ?? .pending, mediaKey: try columns.next(),
                          createdAt: try columns.next(), deletedAt: try columns.next())
    }

    /// The tables management addresses, with the word used in messages.
    enum Table: String {
        case users, teams, projects, generations

        var noun: String {
            switch self {
            case .users: "user"
            case .teams: "team"
            case .projects: "project"
            case .generations: "generation"
            }
        }
    }

    /// Whether a row with this id exists (`live`: and is not deleted).
    static func exists(_ connection: PostgresConnection, _ table: Table, _ id: String, live: Bool, logger: Logger) async throws -> Bool {
        let condition = live ? " AND deleted_at IS NULL" : ""
        let rows = try await query(connection, "SELECT 1 FROM \(table.rawValue) WHERE id = $1\(condition)", .of(id), logger: logger)
        return !rows.isEmpty
    }

    /// A live row's id is required in `field`: 422 `unknown_reference` otherwise. Nil asks nothing.
    static func requireReference(_ connection: PostgresConnection, _ table: Table, _ id: String?, field: String, logger: Logger) async throws {
        guard let id else { return }
        guard try await exists(connection, table, id, live: true, logger: logger) else { throw PortcullisError.unknownReference(field, id) }
    }

    /// Refuses a taken id (live or deleted: ids are never reused) before an insert. A concurrent insert of the same id
    /// that slips between the two fails on the primary key instead, as a 409 too (`mapped`).
    static func requireNewId(_ connection: PostgresConnection, _ table: Table, _ id: String, logger: Logger) async throws {
        if try await exists(connection, table, id, live: false, logger: logger) {
            throw PortcullisError(.conflict, "\(table.noun) '\(id)' already exists")
        }
    }

    static func requireEmailFree(_ connection: PostgresConnection, _ email: String, except userId: String? = nil, logger: Logger) async throws {
        let rows = try await query(connection, "SELECT id FROM users WHERE email = $1 AND deleted_at IS NULL", .of(email), logger: logger)
        if let row = rows.first, try row.decode(String.self) != userId {
            throw PortcullisError(.conflict, "email '\(email)' is already in use")
        }
    }

    /// A live row, locked for the rest of the write (`FOR UPDATE`), or `not_found`.
    static func fetchLive<T>(_ connection: PostgresConnection, _ table: Table, columns: String, _ id: String, logger: Logger,
                             _ decode: (PostgresRow) throws -> T) async throws -> T {
        let rows = try await query(connection, "SELECT \(columns) FROM \(table.rawValue) WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
                                   .of(id), logger: logger)
        guard let row = rows.first else { throw PortcullisError.notFound(table.noun, id) }
        return try decode(row)
    }

    /// Ends every sign-in session of a user (password change, disabling, deleting).
    static func endSessions(_ connection: PostgresConnection, userId: String, logger: Logger) async throws {
        try await execute(connection, "DELETE FROM user_tokens WHERE user_id = $1", .of(userId), logger: logger)
    }

    /// Sets `deleted_at` on a live row and records the change (`after` read back from the update itself).
    static func softDelete<T: ChangeSubject>(_ connection: PostgresConnection, _ table: Table, columns: String, _ id: String, logger: Logger,
                                             changes: inout ChangeRecorder, _ decode: (PostgresRow) throws -> T,
                                             undeleted: (T) -> T) async throws {
        let rows = try await query(
            connection, "UPDATE \(table.rawValue) SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL RETURNING \(columns)",
            .of(WallClock.system.timestamp(), id), logger: logger)
        guard let row = rows.first else { throw PortcullisError.notFound(table.noun, id) }
        let after = try decode(row)
        try changes.deleted(undeleted(after), after)
    }

    /// One page of live rows in id order (keyset on the primary key).
    static func page<T>(_ connection: PostgresConnection, _ table: Table, columns: String, _ request: PageRequest, logger: Logger,
                        _ decode: (PostgresRow) throws -> T, id: (T) -> String) async throws -> Page<T> {
        let after = try Cursor.decode(request.cursor, parts: 1)?[0] ?? ""
        let rows = try await query(
            connection, "SELECT \(columns) FROM \(table.rawValue) WHERE deleted_at IS NULL AND id > $1 ORDER BY id LIMIT $2",
            .of(after, request.limit + 1), logger: logger)
        let items = try rows.prefix(request.limit).map(decode)
        let next = rows.count > request.limit ? items.last.map { Cursor.encode([id($0)]) } : nil
        return Page(items: items, nextCursor: next)
    }
}
