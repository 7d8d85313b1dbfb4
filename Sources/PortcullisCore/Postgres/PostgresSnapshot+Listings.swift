import PortcullisModel
import PortcullisStore
import PostgresNIO

/// `resources` and `subjects` on PostgreSQL: the same walk as `SQLiteSnapshot`'s, over `PostgresListingQueries`, with
/// the same cursors (a cursor of one backend reads on the other).
extension PostgresSnapshot {
    func resources(userId: String, type: ResourceType, action: Action, now: Int64, page: PageRequest) throws -> Page<String> {
        guard let user = try subject(userId), user.isActive else {
            _ = try Cursor.decode(page.cursor, parts: type == .generation ? 3 : 1)
            return Page(items: [], nextCursor: nil)
        }
        switch (type, user.isAdmin) {
        case (.generation, true):
            return try simplePage(PostgresListingQueries.allGenerations, page, bind: Self.afterAndLimit)
        case (.generation, false):
            return try generationResources(userId: userId, action: action, now: now, page: page)
        case (.project, true):
            return try simplePage(PostgresListingQueries.allProjects, page, bind: Self.afterAndLimit)
        case (.project, false):
            return try simplePage(PostgresListingQueries.accessibleProjects, page) { binds, after, limit in
                binds = .of(userId, action.rawValue, action == .read, ResourceType.project.rawValue, after, limit, nil as String?, now)
            }
        case (.team, true):
            return try simplePage(PostgresListingQueries.allTeams, page, bind: Self.afterAndLimit)
        case (.team, false):
            return try simplePage(PostgresListingQueries.memberTeams, page) { binds, after, limit in
                binds = .of(userId, action.rawValue, after, limit, now)
            }
        }
    }

    func subjects(type: ResourceType, id: String, action: Action, now: Int64, page: PageRequest) throws -> Page<String>? {
        switch try SubjectsListing(type: type, id: id, action: action, in: self) {
        case nil:
            return nil
        case .activeUsers:
            return try simplePage(PostgresListingQueries.activeUsers, page, bind: Self.afterAndLimit)
        case .granted(let resourceOwner, let projectOwner, let team, let type, let includeOwners):
            return try simplePage(PostgresListingQueries.grantedUsers, page) { binds, after, limit in
                binds = .of(resourceOwner, projectOwner, team, type.rawValue, action.rawValue, includeOwners, after, limit, now)
            }
        }
    }

    /// The parameters of a listing that takes only the cursor's id and the limit.
    private static func afterAndLimit(_ binds: inout PostgresBindings, _ after: String, _ limit: Int) {
        binds = .of(after, limit)
    }

    /// A listing that is one query in id order; `bind` sets every parameter from the cursor's id and the limit.
    private func simplePage(_ sql: String, _ page: PageRequest, bind: (inout PostgresBindings, String, Int) -> Void) throws -> Page<String> {
        let after = try Cursor.decode(page.cursor, parts: 1)?[0] ?? ""
        var binds = PostgresBindings()
        bind(&binds, after, page.limit + 1)
        var ids = try ids(sql, binds)
        guard ids.count > page.limit else { return Page(items: ids, nextCursor: nil) }
        ids.removeLast()
        return Page(items: ids, nextCursor: Cursor.encode([ids[ids.count - 1]]))
    }

    private func ids(_ sql: String, _ binds: PostgresBindings) throws -> [String] {
        try PostgresSnapshotPool.rows(connection, sql, binds, logger: logger).map { row in
            var columns = PostgresColumns(row)
            return try columns.next(String.self)
        }
    }

    /// Generations a non-administrator may act on: first their own, then other users' in each project that grants
    /// the action. The cursor is `(phase, project, last id)`; a resumed project is finished only if it still grants
    /// the action (a cursor comes from the client and is no grant).
    private func generationResources(userId: String, action: Action, now: Int64, page: PageRequest) throws -> Page<String> {
        let position = try Cursor.decode(page.cursor, parts: 3) ?? ["owned", "", ""]
        var found: [(id: String, phase: String, project: String)] = []
        let wanted = page.limit + 1

        if position[0] == "owned" {
            for id in try ids(PostgresListingQueries.ownedGenerations, .of(userId, position[2], wanted)) {
                found.append((id, "owned", ""))
            }
        }
        let resumed = position[0] == "shared" ? position[1] : ""
        let after = position[0] == "shared" ? position[2] : ""
        var pendingProjects: [String] = []
        var projectCursor = resumed
        var includeResumed = !resumed.isEmpty
        var projectsExhausted = false
        while found.count < wanted {
            if pendingProjects.isEmpty {
                guard !projectsExhausted else { break }
                pendingProjects = try ids(PostgresListingQueries.accessibleProjects, .of(
                    userId, action.rawValue, action == .read || action == .download, ResourceType.generation.rawValue, projectCursor, 100,
                    includeResumed ? resumed : nil, now))
                includeResumed = false
                projectsExhausted = pendingProjects.count < 100
                guard let last = pendingProjects.last else { break }
                projectCursor = last
            }
            let project = pendingProjects.removeFirst()
            let remaining = wanted - found.count
            for id in try ids(PostgresListingQueries.projectGenerations, .of(project, userId, project == resumed ? after : "", remaining)) {
                found.append((id, "shared", project))
            }
        }
        guard found.count > page.limit else { return Page(items: found.map(\.id), nextCursor: nil) }
        found.removeLast()
        let last = found[found.count - 1]
        return Page(items: found.map(\.id), nextCursor: Cursor.encode([last.phase, last.project, last.id]))
    }
}
