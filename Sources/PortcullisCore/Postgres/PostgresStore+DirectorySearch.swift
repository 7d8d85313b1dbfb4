import PortcullisModel
import PortcullisStore
import PostgresNIO

/// The administrators' finding aids on PostgreSQL, with the statements of `PostgresDirectorySearchQueries` and the
/// semantics of `SQLiteStore+DirectorySearch` (byte-order prefixes, ASCII-only folding of team names).
extension PostgresStore: DirectorySearch {
    /// Two index ranges (ids exactly, emails lowercased), merged and paged by id.
    public func users(matching prefix: String, _ page: PageRequest) async throws -> Page<User> {
        try await search(PostgresDirectorySearchQueries.usersByPrefix, id: prefix, other: prefix.lowercased(), page, Self.user, id: \.id)
    }

    /// Two index ranges (ids exactly, names with ASCII letters folded), merged and paged by id.
    public func teams(matching prefix: String, _ page: PageRequest) async throws -> Page<Team> {
        try await search(PostgresDirectorySearchQueries.teamsByPrefix, id: prefix, other: PrefixRange.asciiLowercased(prefix), page, Self.team,
                         id: \.id)
    }

    /// A two-range prefix search: ids starting with `idPrefix`, or the other indexed column starting with
    /// `otherPrefix`, after the page's cursor.
    private func search<T: Sendable>(_ sql: String, id idPrefix: String, other otherPrefix: String, _ page: PageRequest,
                                     _ decode: @escaping @Sendable (PostgresRow) throws -> T, id: @escaping @Sendable (T) -> String)
        async throws -> Page<T>
    {
        // No upper bound (a prefix of U+10FFFF only): a string of more of them stands in, longer than any stored value.
        let unbounded = String(repeating: "\u{10FFFF}", count: 400)
        let after = try Cursor.decode(page.cursor, parts: 1)?[0] ?? ""
        let limit = page.limit
        let logger = logger
        let binds = PostgresBindings.of(idPrefix, PrefixRange.upperBound(idPrefix) ?? unbounded, otherPrefix,
                                        PrefixRange.upperBound(otherPrefix) ?? unbounded, after, limit + 1)
        return try await read { connection in
            Self.paged(try await Self.query(connection, sql, binds, logger: logger).map(decode), limit: limit, id: id)
        }
    }

    /// One index (owner or team) per statement; an empty filter is the plain list.
    public func projects(_ filter: ProjectFilter, _ page: PageRequest) async throws -> Page<Project> {
        guard let sql = PostgresDirectorySearchQueries.projects(filter) else { return try await projects(page) }
        let after = try Cursor.decode(page.cursor, parts: 1)?[0] ?? ""
        let limit = page.limit
        let logger = logger
        return try await read { connection in
            let rows = try await Self.query(connection, sql, .of(filter.ownerId ?? "", filter.teamId ?? "", after, limit + 1), logger: logger)
            return Self.paged(try rows.map(Self.project), limit: limit, id: \.id)
        }
    }

    /// Through `generations_owner`, `generations_project`, or the team's projects; an empty filter is the plain list.
    public func generations(_ filter: GenerationFilter, _ page: PageRequest) async throws -> Page<Generation> {
        guard let sql = PostgresDirectorySearchQueries.generations(filter) else { return try await generations(page) }
        let after = try Cursor.decode(page.cursor, parts: 1)?[0] ?? ""
        let limit = page.limit
        let logger = logger
        return try await read { connection in
            let binds = PostgresBindings.of(filter.ownerId ?? "", filter.projectId ?? "", filter.teamId ?? "", after, limit + 1)
            return Self.paged(try await Self.query(connection, sql, binds, logger: logger).map(Self.generation), limit: limit, id: \.id)
        }
    }

    /// Through `team_members_user` (every membership, not only the active ones the authorization index holds).
    public func memberships(userId: String) async throws -> [TeamMember] {
        let logger = logger
        return try await read { connection in
            guard try await Self.exists(connection, .users, userId, live: true, logger: logger) else { throw PortcullisError.notFound("user", userId) }
            return try await Self.query(connection, PostgresDirectorySearchQueries.userMemberships, .of(userId), logger: logger).map(Self.member)
        }
    }

    /// Counts in one REPEATABLE READ transaction, so the two figures agree with each other.
    public func visibilityPreview(projectId: String, to visibility: Visibility, now: Int64) async throws -> VisibilityPreview {
        let logger = logger
        return try await offloadedSnapshot { connection in
            func count(_ sql: String, _ binds: PostgresBindings) throws -> Int {
                guard let row = try PostgresSnapshotPool.rows(connection, sql, binds, logger: logger).first else { return 0 }
                return Int(try row.decode(Int64.self))
            }
            let rows = try PostgresSnapshotPool.rows(connection, "SELECT \(Self.projectColumns) FROM projects WHERE id = $1 AND deleted_at IS NULL",
                                                     .of(projectId), logger: logger)
            guard let row = rows.first else { throw PortcullisError.notFound("project", projectId) }
            let project = try Self.project(row)
            let total = try count(PostgresDirectorySearchQueries.projectGenerationCount, .of(projectId))
            let changed: Int
            switch VisibilityChange(from: project.visibility, to: visibility) {
            case .none: changed = 0
            case .everyone: changed = total
            case .team:
                let teamLive = try project.teamId.map {
                    !(try PostgresSnapshotPool.rows(connection, "SELECT 1 FROM teams WHERE id = $1 AND deleted_at IS NULL", .of($0),
                                                    logger: logger).isEmpty)
                } ?? false
                if let teamId = project.teamId, teamLive {
                    changed = try count(PostgresDirectorySearchQueries.teamReadableGenerationCount, .of(projectId, teamId, now, project.ownerId))
                } else {
                    changed = 0
                }
            }
            return VisibilityPreview(projectId: projectId, visibility: project.visibility, proposedVisibility: visibility, generations: total,
                                     changedGenerations: changed)
        }
    }

    /// The first `limit` of `rows` (fetched one over the limit), with the cursor of the last when more follow.
    static func paged<T>(_ rows: [T], limit: Int, id: (T) -> String) -> Page<T> {
        let items = Array(rows.prefix(limit))
        let next = rows.count > limit ? items.last.map { Cursor.encode([id($0)]) } : nil
        return Page(items: items, nextCursor: next)
    }
}
