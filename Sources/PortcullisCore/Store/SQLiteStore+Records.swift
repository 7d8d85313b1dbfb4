import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite
import GRDB

/// Row mapping and the existence checks shared by management writes and import.
extension SQLiteStore {
    static let userColumns = "id, email, display_name, is_admin, status, created_at, deleted_at"
    static let teamColumns = "id, name, owner_id, created_at, deleted_at"
    static let memberColumns = "team_id, user_id, role, permissions, is_active, created_at, starts_at, expires_at"
    static let projectColumns = "id, name, owner_id, team_id, visibility, created_at, deleted_at"
    static let generationColumns = "id, owner_id, project_id, status, media_key, created_at, deleted_at"

    static func user(_ row: Row) -> User {
        User(id: row["id"], email: row["email"], displayName: row["display_name"], isAdmin: row["is_admin"],
             status: UserStatus(rawValue: row["status"]) ?? .disabled, createdAt: row["created_at"], deletedAt: row["deleted_at"])
    }

    static func team(_ row: Row) -> Team {
        Team(id: row["id"], name: row["name"], ownerId: row["owner_id"], createdAt: row["created_at"], deletedAt: row["deleted_at"])
    }

    static func member(_ row: Row) -> TeamMember {
        let permissions: String = row["permissions"]
        return TeamMember(teamId: row["team_id"], userId: row["user_id"], role: TeamRole(rawValue: row["role"]) ?? .viewer,
                          permissions: permissions.split(separator: " ").compactMap { Action(rawValue: String($0)) },
                          isActive: row["is_active"], createdAt: row["created_at"],
                          startsAt: (row["starts_at"] as Int64?).map { Timestamp.format(epochMilliseconds: $0) },
                          expiresAt: (row["expires_at"] as Int64?).map { Timestamp.format(epochMilliseconds: $0) })
    }

    static func project(_ row: Row) -> Project {
        Project(id: row["id"], name: row["name"], ownerId: row["owner_id"], teamId: row["team_id"],
                visibility: Visibility(rawValue: row["visibility"]) ?? .private, createdAt: row["created_at"], deletedAt: row["deleted_at"])
    }

    static func generation(_ row: Row) -> Generation {
        Generation(id: row["id"], ownerId: row["owner_id"], projectId: row["project_id"],
                   status: GenerationStatus(rawValue: row["status"]) ?? .pending, mediaKey: row["media_key"],
                   createdAt: row["created_at"], deletedAt: row["deleted_at"])
    }

    /// The tables management addresses, with the word used in messages.
    enum Table: String, Hashable {
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

    /// Whether a live (not deleted) row with this id exists.
    static func isLive(_ db: Database, _ table: Table, _ id: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM \(table.rawValue) WHERE id = ? AND deleted_at IS NULL"), arguments: [id])
            ?? false
    }

    static func requireReference(_ db: Database, _ table: Table, _ id: String?, field: String, known: KnownLiveIds? = nil) throws {
        guard let id, known?.contains(table, id) != true else { return }
        guard try isLive(db, table, id) else { throw PortcullisError.unknownReference(field, id) }
        known?.insert(table, id)
    }

    /// Runs an INSERT of a new row; its primary key taken (by a live or a deleted row: ids are never reused) is a 409.
    /// The constraint answers this instead of a lookup before every insert.
    /// `uniqueTaken` is the message of the table's other unique constraint (users: the live email).
    /// When both constraints fail, SQLite may name either; the taken id is reported first, as a lookup before the insert would.
    /// The messages are built only on failure: an import runs this once per line.
    static func insertNew(_ db: Database, _ table: Table, _ id: String, uniqueTaken: @autoclosure () -> String? = nil,
                          _ insert: () throws -> Void) throws {
        func idTaken() -> PortcullisError { PortcullisError(.conflict, "\(table.noun) '\(id)' already exists") }
        do {
            try insert()
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw idTaken()
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE && uniqueTaken() != nil {
            let exists = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table.rawValue) WHERE id = ?)", arguments: [id]) ?? false
            throw exists ? idTaken() : PortcullisError(.conflict, uniqueTaken()!)
        }
    }

    static func requireEmailFree(_ db: Database, _ email: String, except userId: String? = nil) throws {
        let holder = try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM users WHERE email = ? AND deleted_at IS NULL"), arguments: [email])
        if let holder, holder != userId {
            throw PortcullisError(.conflict, "email '\(email)' is already in use")
        }
    }

    static func fetchLive<T>(_ db: Database, _ table: Table, columns: String, _ id: String, _ decode: (Row) -> T) throws -> T {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(columns) FROM \(table.rawValue) WHERE id = ? AND deleted_at IS NULL", arguments: [id])
        else { throw PortcullisError.notFound(table.noun, id) }
        return decode(row)
    }

    /// Ends every sign-in session of a user (password change, disabling, deleting, logout-all).
    static func endSessions(_ db: Database, userId: String) throws {
        try db.cachedStatement(sql: "DELETE FROM user_tokens WHERE user_id = ?").execute(arguments: [userId])
    }

    /// Sets `deleted_at` on a live row and records the change (`after` read back from the update itself).
    static func softDelete<T: SoftDeletable>(_ db: Database, _ table: Table, columns: String, _ id: String, _ decode: (Row) -> T,
                                             changes: inout ChangeRecorder) throws {
        guard let row = try Row.fetchOne(
            db, sql: "UPDATE \(table.rawValue) SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL RETURNING \(columns)",
            arguments: [WallClock.system.timestamp(), id])
        else { throw PortcullisError.notFound(table.noun, id) }
        let after = decode(row)
        var before = after
        before.deletedAt = nil
        try changes.deleted(before, after)
    }

    /// One page of live rows in id order.
    static func page<T>(_ db: Database, _ table: Table, columns: String, _ request: PageRequest, _ decode: (Row) -> T, id: (T) -> String) throws
        -> Page<T>
    {
        let after = try Cursor.decode(request.cursor, parts: 1)?[0] ?? ""
        let rows = try Row.fetchAll(
            db, sql: "SELECT \(columns) FROM \(table.rawValue) WHERE deleted_at IS NULL AND id > ? ORDER BY id LIMIT ?",
            arguments: [after, request.limit + 1])
        var items = rows.prefix(request.limit).map(decode)
        let next = rows.count > request.limit ? items.last.map { Cursor.encode([id($0)]) } : nil
        if rows.isEmpty { items = [] }
        return Page(items: items, nextCursor: next)
    }

    // MARK: Inserts shared by management and import

    /// What the inserts need besides their input.
    struct InsertContext {
        /// `created_at` of a row whose input gives none.
        let now: String
        /// Ids known to be live — an import's own rows and the references it has already checked — so that a
        /// reference seen before is not looked up again; nil for a single write.
        let known: KnownLiveIds?
        /// The inserts prepared once for an import, bound with SQLite's own calls; nil for a single write.
        var statements: BulkInserts? = nil

        /// A single management write: now, no memory of ids.
        static func single() -> InsertContext { InsertContext(now: WallClock.system.timestamp(), known: nil) }

        /// One import: one instant for every row without `created_at`, the ids it has seen live, and its prepared inserts.
        static func importing(_ db: Database) throws -> InsertContext {
            InsertContext(now: WallClock.system.timestamp(), known: KnownLiveIds(), statements: try BulkInserts(db))
        }
    }

    static let insertUserSQL = """
        INSERT INTO users (id, email, display_name, password_hash, is_admin, status, created_at, deleted_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let insertTeamSQL = "INSERT INTO teams (id, name, owner_id, created_at, deleted_at) VALUES (?, ?, ?, ?, ?)"
    static let selectMemberSQL = "SELECT \(memberColumns) FROM team_members WHERE team_id = ? AND user_id = ?"
    static let upsertMemberSQL = """
        INSERT INTO team_members (team_id, user_id, role, permissions, is_active, created_at, starts_at, expires_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role, permissions = excluded.permissions, is_active = excluded.is_active,
            starts_at = excluded.starts_at, expires_at = excluded.expires_at
        """
    static let insertProjectSQL = "INSERT INTO projects (id, name, owner_id, team_id, visibility, created_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
    static let insertGenerationSQL = """
        INSERT INTO generations (id, owner_id, project_id, status, media_key, created_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?)
        """

    /// An import's inserts, each prepared once and run once per line with its values bound by SQLite's own calls
    /// (`BoundStatement`): the same SQL as a single write's, without looking the statement up by its text and building
    /// an argument array for every line.
    struct BulkInserts {
        let user: BoundStatement
        let team: BoundStatement
        let member: BoundStatement
        /// Whether a membership exists: most imported ones are new, and only an existing one needs its row read.
        let memberExists: BoundStatement
        let project: BoundStatement
        let generation: BoundStatement

        init(_ db: Database) throws {
            user = BoundStatement(try db.makeStatement(sql: SQLiteStore.insertUserSQL), parameters: 8)
            team = BoundStatement(try db.makeStatement(sql: SQLiteStore.insertTeamSQL), parameters: 5)
            member = BoundStatement(try db.makeStatement(sql: SQLiteStore.upsertMemberSQL), parameters: 8)
            memberExists = BoundStatement(try db.makeStatement(sql: "SELECT 1 FROM team_members WHERE team_id = ? AND user_id = ?"), parameters: 2)
            project = BoundStatement(try db.makeStatement(sql: SQLiteStore.insertProjectSQL), parameters: 7)
            generation = BoundStatement(try db.makeStatement(sql: SQLiteStore.insertGenerationSQL), parameters: 7)
        }
    }

    /// The ids an import knows are live in each table (one import, one thread: the writer's).
    final class KnownLiveIds {
        private var ids: [Table: Set<String>] = [:]

        func contains(_ table: Table, _ id: String) -> Bool { ids[table]?.contains(id) == true }

        func insert(_ table: Table, _ id: String) { ids[table, default: []].insert(id) }

        /// Remembers a row just inserted, when it is live.
        func inserted(_ table: Table, _ id: String, deletedAt: String?) {
            if deletedAt == nil { insert(table, id) }
        }
    }

    static func insertUser(_ db: Database, _ input: NewUser, passwordHash: String?, changes: inout ChangeRecorder,
                           _ context: InsertContext = .single()) throws -> User {
        let id = input.id ?? Identifier.generate(prefix: "usr")
        let user = User(id: id, email: input.email, displayName: input.displayName, isAdmin: input.isAdmin, status: input.status,
                        createdAt: input.createdAt ?? context.now, deletedAt: input.deletedAt)
        try insertNew(db, .users, id, uniqueTaken: "email '\(input.email)' is already in use") {
            guard let insert = context.statements?.user else {
                try db.cachedStatement(sql: insertUserSQL).execute(arguments: [user.id, user.email, user.displayName, passwordHash, user.isAdmin,
                                                                               user.status.rawValue, user.createdAt, user.deletedAt])
                return
            }
            insert.reset()
            insert.bind(1, user.id)
            insert.bind(2, user.email)
            insert.bind(3, user.displayName)
            insert.bind(4, passwordHash)
            insert.bind(5, user.isAdmin)
            insert.bind(6, user.status.rawValue)
            insert.bind(7, user.createdAt)
            insert.bind(8, user.deletedAt)
            try insert.execute()
        }
        context.known?.inserted(.users, id, deletedAt: user.deletedAt)
        try changes.created(user)
        return user
    }

    static func insertTeam(_ db: Database, _ input: NewTeam, changes: inout ChangeRecorder, _ context: InsertContext = .single()) throws -> Team {
        let id = input.id ?? Identifier.generate(prefix: "team")
        try requireReference(db, .users, input.ownerId, field: "owner_id", known: context.known)
        let team = Team(id: id, name: input.name, ownerId: input.ownerId, createdAt: input.createdAt ?? context.now, deletedAt: input.deletedAt)
        try insertNew(db, .teams, id) {
            guard let insert = context.statements?.team else {
                try db.cachedStatement(sql: insertTeamSQL).execute(arguments: [team.id, team.name, team.ownerId, team.createdAt, team.deletedAt])
                return
            }
            insert.reset()
            insert.bind(1, team.id)
            insert.bind(2, team.name)
            insert.bind(3, team.ownerId)
            insert.bind(4, team.createdAt)
            insert.bind(5, team.deletedAt)
            try insert.execute()
        }
        context.known?.inserted(.teams, id, deletedAt: team.deletedAt)
        try changes.created(team)
        // The owner is a member with role owner.
        try upsertMember(db, teamId: team.id, userId: team.ownerId, MembershipInput(role: .owner, createdAt: team.createdAt), changes: &changes,
                         context)
        return team
    }

    @discardableResult
    static func upsertMember(_ db: Database, teamId: String, userId: String, _ input: MembershipInput, changes: inout ChangeRecorder,
                             _ context: InsertContext = .single()) throws -> (TeamMember, Bool)
    {
        var found: Bool?
        if let exists = context.statements?.memberExists {
            exists.reset()
            exists.bind(1, teamId)
            exists.bind(2, userId)
            found = exists.hasRow()
        }
        var existing: TeamMember?
        if found != false {
            existing = try Row.fetchOne(db.cachedStatement(sql: selectMemberSQL), arguments: [teamId, userId]).map(Self.member)
        }
        let member = TeamMember(input, teamId: teamId, userId: userId, createdAt: existing?.createdAt ?? input.createdAt ?? context.now)
        let permissions = member.permissions.isEmpty ? "" : member.permissions.map { $0.rawValue }.joined(separator: " ")
        if let upsert = context.statements?.member {
            upsert.reset()
            upsert.bind(1, teamId)
            upsert.bind(2, userId)
            upsert.bind(3, member.role.rawValue)
            upsert.bind(4, permissions)
            upsert.bind(5, member.isActive)
            upsert.bind(6, member.createdAt)
            upsert.bind(7, input.startsAt)
            upsert.bind(8, input.expiresAt)
            try upsert.execute()
        } else {
            try db.cachedStatement(sql: upsertMemberSQL).execute(arguments: [teamId, userId, member.role.rawValue, permissions, member.isActive,
                                                                             member.createdAt, input.startsAt, input.expiresAt])
        }
        try changes.put(existing, member)
        return (member, existing == nil)
    }

    static func insertProject(_ db: Database, _ input: NewProject, changes: inout ChangeRecorder, _ context: InsertContext = .single()) throws
        -> Project
    {
        let id = input.id ?? Identifier.generate(prefix: "prj")
        try requireReference(db, .users, input.ownerId, field: "owner_id", known: context.known)
        try requireReference(db, .teams, input.teamId, field: "team_id", known: context.known)
        let project = Project(id: id, name: input.name, ownerId: input.ownerId, teamId: input.teamId, visibility: input.visibility,
                              createdAt: input.createdAt ?? context.now, deletedAt: input.deletedAt)
        try insertNew(db, .projects, id) {
            guard let insert = context.statements?.project else {
                try db.cachedStatement(sql: insertProjectSQL).execute(arguments: [project.id, project.name, project.ownerId, project.teamId,
                                                                                  project.visibility.rawValue, project.createdAt, project.deletedAt])
                return
            }
            insert.reset()
            insert.bind(1, project.id)
            insert.bind(2, project.name)
            insert.bind(3, project.ownerId)
            insert.bind(4, project.teamId)
            insert.bind(5, project.visibility.rawValue)
            insert.bind(6, project.createdAt)
            insert.bind(7, project.deletedAt)
            try insert.execute()
        }
        context.known?.inserted(.projects, id, deletedAt: project.deletedAt)
        try changes.created(project)
        return project
    }

    static func insertGeneration(_ db: Database, _ input: NewGeneration, changes: inout ChangeRecorder, _ context: InsertContext = .single()) throws
        -> Generation
    {
        let id = input.id ?? Identifier.generate(prefix: "gen")
        try requireReference(db, .users, input.ownerId, field: "owner_id", known: context.known)
        try requireReference(db, .projects, input.projectId, field: "project_id", known: context.known)
        let generation = Generation(id: id, ownerId: input.ownerId, projectId: input.projectId, status: input.status, mediaKey: input.mediaKey,
                                    createdAt: input.createdAt ?? context.now, deletedAt: input.deletedAt)
        try insertNew(db, .generations, id) {
            guard let insert = context.statements?.generation else {
                try db.cachedStatement(sql: insertGenerationSQL).execute(arguments: [generation.id, generation.ownerId, generation.projectId,
                                                                                     generation.status.rawValue, generation.mediaKey,
                                                                                     generation.createdAt, generation.deletedAt])
                return
            }
            insert.reset()
            insert.bind(1, generation.id)
            insert.bind(2, generation.ownerId)
            insert.bind(3, generation.projectId)
            insert.bind(4, generation.status.rawValue)
            insert.bind(5, generation.mediaKey)
            insert.bind(6, generation.createdAt)
            insert.bind(7, generation.deletedAt)
            try insert.execute()
        }
        try changes.created(generation)
        return generation
    }
}
