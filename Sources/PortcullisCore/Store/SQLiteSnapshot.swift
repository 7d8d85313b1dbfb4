import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite

extension SQLiteStore: AuthorizationStore {
    /// Runs `body` inside one read transaction (`BEGIN DEFERRED` … `COMMIT`) on a pooled raw connection whose statements
    /// are prepared once; an error `body` throws is rethrown once the transaction has ended.
    public func withSnapshot<T>(_ body: (any AuthorizationSnapshot) throws -> T) throws -> T {
        // Typed throws cannot carry `body`'s untyped error through the pool, so it travels in a box.
        var failure: (any Error)?
        let result: T? = try readers.read { connection throws(PortcullisError) -> T? in
            do {
                return try body(SQLiteSnapshot(connection: connection))
            } catch {
                failure = error
                return nil
            }
        }
        if let failure { throw failure }
        return result!
    }

    /// One statement (`AuthorizationQueries.decideGeneration` and its siblings) without BEGIN … COMMIT: SQLite reads
    /// a single statement in its own read transaction, so its columns come from one snapshot.
    public func decisionFacts(_ request: CheckRequest) throws -> DecisionFacts {
        try readers.withConnection { connection throws(PortcullisError) -> DecisionFacts in
            let statement: PreparedStatement
            switch request.resourceType {
            case .generation: statement = try connection.statement(SQLiteSnapshot.decideGenerationQuery)
            case .project: statement = try connection.statement(SQLiteSnapshot.decideProjectQuery)
            case .team: statement = try connection.statement(SQLiteSnapshot.decideTeamQuery)
            }
            statement.bind(1, request.resourceId)
            statement.bind(2, request.userId)
            statement.bind(3, request.action.rawValue)
            guard try statement.step() else { throw PortcullisError(.storeError, "the revision row is missing") }
            let subject = statement.bool(1) ? SubjectFacts(isAdmin: statement.bool(2), isActive: statement.bool(3)) : nil
            let column = AuthorizationQueries.decisionResourceColumn
            let exists = statement.bool(column - 1)
            let resource: DecisionFacts.Resource
            switch request.resourceType {
            case .generation: resource = .generation(exists ? SQLiteSnapshot.generationFacts(statement, from: column) : nil)
            case .project: resource = .project(exists ? SQLiteSnapshot.projectFacts(statement, from: column) : nil)
            case .team: resource = .team(exists ? SQLiteSnapshot.teamFacts(statement, from: column) : nil)
            }
            return DecisionFacts(revision: statement.int64(0), subject: subject, resource: resource)
        }
    }
}

/// One read transaction on a reader connection. Statements are prepared once per connection.
struct SQLiteSnapshot: AuthorizationSnapshot {
    let connection: PreparedConnection

    private static let revisionQuery = StatementKey(AuthorizationQueries.revision)
    private static let subjectQuery = StatementKey(AuthorizationQueries.subject)
    private static let generationQuery = StatementKey(AuthorizationQueries.generation)
    private static let projectQuery = StatementKey(AuthorizationQueries.project)
    private static let teamQuery = StatementKey(AuthorizationQueries.team)
    static let decideGenerationQuery = StatementKey(AuthorizationQueries.decideGeneration)
    static let decideProjectQuery = StatementKey(AuthorizationQueries.decideProject)
    static let decideTeamQuery = StatementKey(AuthorizationQueries.decideTeam)

    func revision() throws -> Int64 {
        let statement = try connection.statement(Self.revisionQuery)
        return try statement.step() ? statement.int64(0) : 0
    }

    func subject(_ userId: String) throws -> SubjectFacts? {
        let statement = try connection.statement(Self.subjectQuery)
        statement.bind(1, userId)
        guard try statement.step() else { return nil }
        return SubjectFacts(isAdmin: statement.bool(0), isActive: statement.bool(1))
    }

    func generation(_ id: String, userId: String, action: Action) throws -> GenerationFacts? {
        let statement = try connection.statement(Self.generationQuery)
        statement.bind(1, id)
        statement.bind(2, userId)
        statement.bind(3, action.rawValue)
        return try statement.step() ? Self.generationFacts(statement, from: 0) : nil
    }

    func project(_ id: String, userId: String, action: Action) throws -> ProjectFacts? {
        let statement = try connection.statement(Self.projectQuery)
        statement.bind(1, id)
        statement.bind(2, userId)
        statement.bind(3, action.rawValue)
        return try statement.step() ? Self.projectFacts(statement, from: 0) : nil
    }

    func team(_ id: String, userId: String, action: Action) throws -> TeamFacts? {
        let statement = try connection.statement(Self.teamQuery)
        statement.bind(1, id)
        statement.bind(2, userId)
        statement.bind(3, action.rawValue)
        return try statement.step() ? Self.teamFacts(statement, from: 0) : nil
    }

    /// `AuthorizationQueries.generationColumns` starting at `column`.
    static func generationFacts(_ statement: PreparedStatement, from column: Int32) -> GenerationFacts {
        let project: ProjectFacts? = statement.isNull(column + 2) ? nil : ProjectFacts(
            ownerId: statement.text(column + 3) ?? "", teamId: statement.text(column + 4),
            visibility: Visibility(rawValue: statement.text(column + 5) ?? "") ?? .private, isDeleted: statement.bool(column + 6),
            teamIsDeleted: statement.bool(column + 7), membership: membership(statement, from: column + 8))
        return GenerationFacts(ownerId: statement.text(column) ?? "", isDeleted: statement.bool(column + 1), project: project,
                               projectId: statement.text(column + 2))
    }

    /// `AuthorizationQueries.projectColumns` starting at `column`.
    static func projectFacts(_ statement: PreparedStatement, from column: Int32) -> ProjectFacts {
        ProjectFacts(
            ownerId: statement.text(column) ?? "", teamId: statement.text(column + 1),
            visibility: Visibility(rawValue: statement.text(column + 2) ?? "") ?? .private, isDeleted: statement.bool(column + 3),
            teamIsDeleted: statement.bool(column + 4), membership: membership(statement, from: column + 5))
    }

    /// `AuthorizationQueries.teamColumns` starting at `column`.
    static func teamFacts(_ statement: PreparedStatement, from column: Int32) -> TeamFacts {
        let membership = statement.isNull(column + 1) ? nil : MembershipFacts(
            role: TeamRole(rawValue: statement.text(column + 1) ?? "") ?? .viewer, roleGrantsAction: statement.bool(column + 3),
            permitsAction: false, isActive: statement.bool(column + 2), startsAt: optionalInt64(statement, column + 4),
            expiresAt: optionalInt64(statement, column + 5))
        return TeamFacts(isDeleted: statement.bool(column), membership: membership)
    }

    /// Columns `role, is_active, permits, role_grants, starts_at, expires_at` starting at `column`; nil when the user is
    /// no member.
    private static func membership(_ statement: PreparedStatement, from column: Int32) -> MembershipFacts? {
        guard !statement.isNull(column), let role = TeamRole(rawValue: statement.text(column) ?? "") else { return nil }
        return MembershipFacts(role: role, roleGrantsAction: statement.bool(column + 3), permitsAction: statement.bool(column + 2),
                               isActive: statement.bool(column + 1), startsAt: optionalInt64(statement, column + 4),
                               expiresAt: optionalInt64(statement, column + 5))
    }

    private static func optionalInt64(_ statement: PreparedStatement, _ column: Int32) -> Int64? {
        statement.isNull(column) ? nil : statement.int64(column)
    }

    // MARK: Listings

    func resources(userId: String, type: ResourceType, action: Action, now: Int64, page: PageRequest) throws -> Page<String> {
        guard let user = try subject(userId), user.isActive else {
            _ = try Cursor.decode(page.cursor, parts: type == .generation ? 3 : 1)
            return Page(items: [], nextCursor: nil)
        }
        switch (type, user.isAdmin) {
        case (.generation, true):
            return try simplePage(ListingQueries.allGenerations, page) { _ in }
        case (.generation, false):
            return try generationResources(userId: userId, action: action, now: now, page: page)
        case (.project, true):
            return try simplePage(ListingQueries.allProjects, page) { _ in }
        case (.project, false):
            return try simplePage(ListingQueries.accessibleProjects, page, firstParameter: 5) { statement in
                statement.bind(1, userId)
                statement.bind(2, action.rawValue)
                statement.bind(3, Int64(action == .read ? 1 : 0))
                statement.bind(4, ResourceType.project.rawValue)
                statement.bind(7, nil as String?)
                statement.bind(20, now)
            }
        case (.team, true):
            return try simplePage(ListingQueries.allTeams, page) { _ in }
        case (.team, false):
            return try simplePage(ListingQueries.memberTeams, page, firstParameter: 3) { statement in
                statement.bind(1, userId)
                statement.bind(2, action.rawValue)
                statement.bind(20, now)
            }
        }
    }

    func subjects(type: ResourceType, id: String, action: Action, now: Int64, page: PageRequest) throws -> Page<String>? {
        switch try SubjectsListing(type: type, id: id, action: action, in: self) {
        case nil:
            return nil
        case .activeUsers:
            return try simplePage(ListingQueries.activeUsers, page) { _ in }
        case .granted(let resourceOwner, let projectOwner, let team, let type, let includeOwners):
            return try simplePage(ListingQueries.grantedUsers, page, firstParameter: 7) { statement in
                statement.bind(1, resourceOwner)
                statement.bind(2, projectOwner)
                statement.bind(3, team)
                statement.bind(4, type.rawValue)
                statement.bind(5, action.rawValue)
                statement.bind(6, Int64(includeOwners ? 1 : 0))
                statement.bind(20, now)
            }
        }
    }

    /// A listing that is one query in id order: parameters before `firstParameter` are bound by `bind`,
    /// then the cursor's id and the limit.
    private func simplePage(_ sql: String, _ page: PageRequest, firstParameter: Int32 = 1, bind: (PreparedStatement) -> Void) throws
        -> Page<String>
    {
        let after = try Cursor.decode(page.cursor, parts: 1)?[0] ?? ""
        let statement = try connection.statement(sql)
        bind(statement)
        statement.bind(firstParameter, after)
        statement.bind(firstParameter + 1, Int64(page.limit + 1))
        var ids: [String] = []
        while try statement.step() {
            ids.append(statement.text(0) ?? "")
        }
        guard ids.count > page.limit else { return Page(items: ids, nextCursor: nil) }
        ids.removeLast()
        return Page(items: ids, nextCursor: Cursor.encode([ids[ids.count - 1]]))
    }

    /// Generations a non-administrator may act on: first their own, then other users' in each project that grants the action.
    /// The cursor is `(phase, project, last id)`.
    private func generationResources(userId: String, action: Action, now: Int64, page: PageRequest) throws -> Page<String> {
        let position = try Cursor.decode(page.cursor, parts: 3) ?? ["owned", "", ""]
        var found: [(id: String, phase: String, project: String)] = []
        let wanted = page.limit + 1

        if position[0] == "owned" {
            let statement = try connection.statement(ListingQueries.ownedGenerations)
            statement.bind(1, userId)
            statement.bind(2, position[2])
            statement.bind(3, Int64(wanted))
            while try statement.step() { found.append((statement.text(0) ?? "", "owned", "")) }
        }
        // The project the cursor stopped in is finished only if it still grants the action: a cursor comes from the
        // client and is no grant (a forged or stale one must not list another project's generations). So it is looked
        // up with the accessible projects, which then go on in id order after it.
        let resumed = position[0] == "shared" ? position[1] : ""
        let after = position[0] == "shared" ? position[2] : ""
        var pendingProjects: [String] = []
        var projectCursor = resumed
        var includeResumed = !resumed.isEmpty
        var projectsExhausted = false
        while found.count < wanted {
            if pendingProjects.isEmpty {
                guard !projectsExhausted else { break }
                let statement = try connection.statement(ListingQueries.accessibleProjects)
                statement.bind(1, userId)
                statement.bind(2, action.rawValue)
                statement.bind(3, Int64(action == .read || action == .download ? 1 : 0))
                statement.bind(4, ResourceType.generation.rawValue)
                statement.bind(5, projectCursor)
                statement.bind(6, Int64(100))
                statement.bind(7, includeResumed ? resumed : nil)
                statement.bind(20, now)
                includeResumed = false
                while try statement.step() { pendingProjects.append(statement.text(0) ?? "") }
                projectsExhausted = pendingProjects.count < 100
                guard let last = pendingProjects.last else { break }
                projectCursor = last
            }
            let project = pendingProjects.removeFirst()
            let statement = try connection.statement(ListingQueries.projectGenerations)
            statement.bind(1, project)
            statement.bind(2, userId)
            statement.bind(3, project == resumed ? after : "")
            statement.bind(4, Int64(wanted - found.count))
            while try statement.step() { found.append((statement.text(0) ?? "", "shared", project)) }
        }
        guard found.count > page.limit else { return Page(items: found.map(\.id), nextCursor: nil) }
        found.removeLast()
        let last = found[found.count - 1]
        return Page(items: found.map(\.id), nextCursor: Cursor.encode([last.phase, last.project, last.id]))
    }
}
