import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite
import GRDB

/// The administrators' finding aids on SQLite, read through GRDB with the statements of `DirectorySearchQueries`.
extension SQLiteStore: DirectorySearch {
    /// Two index ranges (ids exactly, emails lowercased), merged and paged by id.
    public func users(matching prefix: String, _ page: PageRequest) async throws -> Page<User> {
        try await search(DirectorySearchQueries.usersByPrefix, id: prefix, other: prefix.lowercased(), page, Self.user, id: \.id)
    }

    /// Two index ranges (ids exactly, names with ASCII letters folded), merged and paged by id.
    public func teams(matching prefix: String, _ page: PageRequest) async throws -> Page<Team> {
        try await search(DirectorySearchQueries.teamsByPrefix, id: prefix, other: PrefixRange.asciiLowercased(prefix), page, Self.team, id: \.id)
    }

    /// A two-range prefix search (`usersByPrefix`, `teamsByPrefix`): ids starting with `idPrefix`, or the other indexed
    /// column starting with `otherPrefix`, after the page's cursor.
    private func search<T: Sendable>(_ sql: String, id idPrefix: String, other otherPrefix: String, _ page: PageRequest,
                                     _ decode: @escaping @Sendable (Row) -> T, id: @escaping @Sendable (T) -> String) async throws -> Page<T> {
        // No upper bound (a prefix of U+10FFFF only): a string of more of them stands in, longer than any stored value.
        let unbounded = String(repeating: "\u{10FFFF}", count: 400)
        let after = try Cursor.decode(page.cursor, parts: 1)?[0] ?? ""
        let limit = page.limit
        return try await read { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: [
                idPrefix, PrefixRange.upperBound(idPrefix) ?? unbounded, otherPrefix, PrefixRange.upperBound(otherPrefix) ?? unbounded, after,
                limit + 1,
            ])
            return Self.paged(rows.map(decode), limit: limit, id: id)
        }
    }

    /// One index (owner or team) per statement; an empty filter is the plain list.
    public func projects(_ filter: ProjectFilter, _ page: PageRequest) async throws -> Page<Project> {
        guard let sql = DirectorySearchQueries.projects(filter) else { return try await projects(page) }
        let after = try Cursor.decode(page.cursor, parts: 1)?[0] ?? ""
        let limit = page.limit
        return try await read { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: [filter.ownerId, filter.teamId, after, limit + 1])
            return Self.paged(rows.map(Self.project), limit: limit, id: \.id)
        }
    }

    /// Through `generations_owner`, `generations_project`, or the team's projects; an empty filter is the plain list.
    public func generations(_ filter: GenerationFilter, _ page: PageRequest) async throws -> Page<Generation> {
        guard let sql = DirectorySearchQueries.generations(filter) else { return try await generations(page) }
        let after = try Cursor.decode(page.cursor, parts: 1)?[0] ?? ""
        let limit = page.limit
        return try await read { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: [filter.ownerId, filter.projectId, filter.teamId, after, limit + 1])
            return Self.paged(rows.map(Self.generation), limit: limit, id: \.id)
        }
    }

    /// Through `team_members_user` (every membership, not only the active ones the authorization index holds).
    public func memberships(userId: String) async throws -> [TeamMember] {
        try await read { db in
            guard try Self.isLive(db, .users, userId) else { throw PortcullisError.notFound("user", userId) }
            return try Row.fetchAll(db.cachedStatement(sql: DirectorySearchQueries.userMemberships), arguments: [userId]).map(Self.member)
        }
    }

    /// Counts in one read transaction, so the two figures agree with each other.
    public func visibilityPreview(projectId: String, to visibility: Visibility, now: Int64) async throws -> VisibilityPreview {
        try await read { db in
            let project = try Self.fetchLive(db, .projects, columns: Self.projectColumns, projectId, Self.project)
            let total = try Int.fetchOne(db.cachedStatement(sql: DirectorySearchQueries.projectGenerationCount), arguments: [projectId]) ?? 0
            let changed: Int
            switch VisibilityChange(from: project.visibility, to: visibility) {
            case .none: changed = 0
            case .everyone: changed = total
            case .team:
                if let teamId = project.teamId, try Self.isLive(db, .teams, teamId) {
                    changed = try Int.fetchOne(db.cachedStatement(sql: DirectorySearchQueries.teamReadableGenerationCount),
                                               arguments: [projectId, teamId, now, project.ownerId]) ?? 0
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

/// Which readers a visibility change adds or removes: nobody, the team's readers, or everyone.
public enum VisibilityChange {
    /// Nobody gains or loses access; the team's readers do; everyone does.
    case none, team, everyone

    /// The change from `from` to `to`.
    public init(from: Visibility, to: Visibility) {
        if from == to {
            self = .none
        } else if from == .public || to == .public {
            self = .everyone
        } else {
            self = .team
        }
    }
}
