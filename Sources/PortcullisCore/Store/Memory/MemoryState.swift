import PortcullisModel
import PortcullisPolicy

/// Everything a `MemoryStore` holds, as one value.
///
/// A write builds the next state from a copy of the current one and swaps it in only when nothing failed; a snapshot
/// is a copy (the dictionaries are copy-on-write, so taking one costs a few reference counts). The checks and inserts
/// here mirror `SQLiteStore+Records.swift` step for step, so both backends refuse the same writes with the same errors.
struct MemoryState: Sendable {
    struct StoredUser: Sendable {
        var user: User
        var passwordHash: String?
    }

    struct StoredKey: Sendable {
        var key: APIKey
        /// SHA-256 of the secret, as the SQL backend stores it.
        var hash: [UInt8]
    }

    struct StoredToken: Sendable {
        var userId: String
        var createdAt: String
        /// Unix seconds.
        var expiresAt: Int64
    }

    /// Users by id, deleted ones included (ids are never reused).
    var users: [String: StoredUser] = [:]
    var teams: [String: Team] = [:]
    /// Memberships by team id, then user id.
    var members: [String: [String: TeamMember]] = [:]
    var projects: [String: Project] = [:]
    var generations: [String: Generation] = [:]
    /// API keys by id.
    var apiKeys: [String: StoredKey] = [:]
    /// Sign-in tokens by the SHA-256 of the token.
    var tokens: [[UInt8]: StoredToken] = [:]
    /// The revision of the last write that moved each dependency.
    var versions: [DependencyKey: Int64] = [:]
    var revision: Int64 = 0
    /// The change log, in (revision, seq) order.
    var changes: [Change] = []
    /// Retention removed every change at or below this revision.
    var changeHorizon: Int64 = 0
    /// Every time bound at or before this instant (Unix milliseconds) has its change recorded (`TimeBoundStore`).
    var boundsSweptUntil: Int64 = 0

    /// The entities management addresses by id, with the word used in messages.
    enum Table {
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

    /// SQLite's `BINARY` collation (UTF-8 byte order): the order ids are listed and paged in on every backend.
    static func precedes(_ left: String, _ right: String) -> Bool {
        left.utf8.lexicographicallyPrecedes(right.utf8)
    }

    // MARK: Existence

    /// Whether a row with this id is deleted; nil when there is none.
    func isDeleted(_ table: Table, _ id: String) -> Bool? {
        switch table {
        case .users: users[id].map { $0.user.deletedAt != nil }
        case .teams: teams[id].map { $0.deletedAt != nil }
        case .projects: projects[id].map { $0.deletedAt != nil }
        case .generations: generations[id].map { $0.deletedAt != nil }
        }
    }

    func isLive(_ table: Table, _ id: String) -> Bool {
        isDeleted(table, id) == false
    }

    func requireReference(_ table: Table, _ id: String?, field: String) throws(PortcullisError) {
        guard let id else { return }
        guard isLive(table, id) else { throw .unknownReference(field, id) }
    }

    /// Ids are never reused: a deleted row keeps its id.
    func requireNewID(_ table: Table, _ id: String) throws(PortcullisError) {
        if isDeleted(table, id) != nil {
            throw PortcullisError(.conflict, "\(table.noun) '\(id)' already exists")
        }
    }

    /// Emails are unique among live users, compared exactly in the stored (normalized) form.
    func requireEmailFree(_ email: String, except userId: String? = nil) throws(PortcullisError) {
        if let holder = users.values.first(where: { $0.user.deletedAt == nil && $0.user.email == email }), holder.user.id != userId {
            throw PortcullisError(.conflict, "email '\(email)' is already in use")
        }
    }

    func liveUser(_ id: String) throws(PortcullisError) -> User {
        guard let user = users[id]?.user, user.deletedAt == nil else { throw .notFound("user", id) }
        return user
    }

    func liveTeam(_ id: String) throws(PortcullisError) -> Team {
        guard let team = teams[id], team.deletedAt == nil else { throw .notFound("team", id) }
        return team
    }

    func liveProject(_ id: String) throws(PortcullisError) -> Project {
        guard let project = projects[id], project.deletedAt == nil else { throw .notFound("project", id) }
        return project
    }

    func liveGeneration(_ id: String) throws(PortcullisError) -> Generation {
        guard let generation = generations[id], generation.deletedAt == nil else { throw .notFound("generation", id) }
        return generation
    }

    // MARK: Changes shared by management and import

    mutating func insertUser(_ input: NewUser, passwordHash: String?, clock: WallClock, changes: inout ChangeRecorder) throws -> User {
        let id = input.id ?? Identifier.generate(prefix: "usr")
        try requireNewID(.users, id)
        if input.deletedAt == nil { try requireEmailFree(input.email) }
        let user = User(id: id, email: input.email, displayName: input.displayName, isAdmin: input.isAdmin, status: input.status,
                        createdAt: input.createdAt ?? clock.timestamp(), deletedAt: input.deletedAt)
        users[id] = StoredUser(user: user, passwordHash: passwordHash)
        try changes.created(user)
        return user
    }

    mutating func insertTeam(_ input: NewTeam, clock: WallClock, changes: inout ChangeRecorder) throws -> Team {
        let id = input.id ?? Identifier.generate(prefix: "team")
        try requireNewID(.teams, id)
        try requireReference(.users, input.ownerId, field: "owner_id")
        let team = Team(id: id, name: input.name, ownerId: input.ownerId, createdAt: input.createdAt ?? clock.timestamp(), deletedAt: input.deletedAt)
        teams[id] = team
        try changes.created(team)
        // The owner is a member with role owner.
        try upsertMember(teamId: id, userId: team.ownerId, MembershipInput(role: .owner, createdAt: team.createdAt), clock: clock, changes: &changes)
        return team
    }

    /// Creates or replaces a membership, keeping the original `created_at`; true when it was created.
    @discardableResult
    mutating func upsertMember(teamId: String, userId: String, _ input: MembershipInput, clock: WallClock, changes: inout ChangeRecorder) throws
        -> (TeamMember, Bool)
    {
        let existing = members[teamId]?[userId]
        let member = TeamMember(input, teamId: teamId, userId: userId, createdAt: existing?.createdAt ?? input.createdAt ?? clock.timestamp())
        members[teamId, default: [:]][userId] = member
        try changes.put(existing, member)
        return (member, existing == nil)
    }

    mutating func insertProject(_ input: NewProject, clock: WallClock, changes: inout ChangeRecorder) throws -> Project {
        let id = input.id ?? Identifier.generate(prefix: "prj")
        try requireNewID(.projects, id)
        try requireReference(.users, input.ownerId, field: "owner_id")
        try requireReference(.teams, input.teamId, field: "team_id")
        let project = Project(id: id, name: input.name, ownerId: input.ownerId, teamId: input.teamId, visibility: input.visibility,
                              createdAt: input.createdAt ?? clock.timestamp(), deletedAt: input.deletedAt)
        projects[id] = project
        try changes.created(project)
        return project
    }

    mutating func insertGeneration(_ input: NewGeneration, clock: WallClock, changes: inout ChangeRecorder) throws -> Generation {
        let id = input.id ?? Identifier.generate(prefix: "gen")
        try requireNewID(.generations, id)
        try requireReference(.users, input.ownerId, field: "owner_id")
        try requireReference(.projects, input.projectId, field: "project_id")
        let generation = Generation(id: id, ownerId: input.ownerId, projectId: input.projectId, status: input.status, mediaKey: input.mediaKey,
                                    createdAt: input.createdAt ?? clock.timestamp(), deletedAt: input.deletedAt)
        generations[id] = generation
        try changes.created(generation)
        return generation
    }

    /// One import line, checked exactly as the SQL backend checks it.
    mutating func insert(_ record: ImportRecord, clock: WallClock, changes: inout ChangeRecorder) throws {
        switch record {
        case .user(let input, let passwordHash): _ = try insertUser(input, passwordHash: passwordHash, clock: clock, changes: &changes)
        case .team(let input): _ = try insertTeam(input, clock: clock, changes: &changes)
        case .member(let teamId, let userId, let input):
            try requireReference(.teams, teamId, field: "team_id")
            try requireReference(.users, userId, field: "user_id")
            try upsertMember(teamId: teamId, userId: userId, input, clock: clock, changes: &changes)
        case .project(let input): _ = try insertProject(input, clock: clock, changes: &changes)
        case .generation(let input): _ = try insertGeneration(input, clock: clock, changes: &changes)
        }
    }

    /// Sets `deleted_at` on a live row and records the change; `not_found` when there is none.
    mutating func softDelete(_ table: Table, _ id: String, clock: WallClock, changes: inout ChangeRecorder) throws {
        guard isLive(table, id) else { throw PortcullisError.notFound(table.noun, id) }
        let now = clock.timestamp()
        func delete<T: SoftDeletable>(_ row: inout T?) throws {
            guard let before = row else { return }
            row?.deletedAt = now
            try changes.deleted(before, row!)
        }
        switch table {
        case .users:
            var user = users[id]?.user
            try delete(&user)
            users[id]?.user = user!
        case .teams: try delete(&teams[id])
        case .projects: try delete(&projects[id])
        case .generations: try delete(&generations[id])
        }
    }

    /// Ends every sign-in session of a user (password change, disabling, deleting, logout-all).
    mutating func endSessions(userId: String) {
        tokens = tokens.filter { $0.value.userId != userId }
    }

    mutating func insertAPIKey(_ key: APIKey, hash: [UInt8], changes: inout ChangeRecorder) throws {
        // The SQL backend's UNIQUE and PRIMARY KEY constraints, with the message its constraint errors map to.
        guard apiKeys[key.id] == nil, !apiKeys.values.contains(where: { $0.hash == hash }) else {
            throw PortcullisError(.conflict, "already exists")
        }
        apiKeys[key.id] = StoredKey(key: key, hash: hash)
        try changes.created(key)
    }

    // MARK: Pages

    /// One page of `rows` in id order after the cursor's id, with the SQL backend's cursor (`Cursor` of the last id).
    static func page<T>(_ rows: [(id: String, value: T)], _ request: PageRequest) throws(PortcullisError) -> Page<T> {
        let after = try Cursor.decode(request.cursor, parts: 1)?[0] ?? ""
        let sorted = rows.filter { precedes(after, $0.id) }.sorted { precedes($0.id, $1.id) }
        let kept = sorted.prefix(max(0, request.limit))
        let next = sorted.count > kept.count ? kept.last.map { Cursor.encode([$0.id]) } : nil
        return Page(items: kept.map(\.value), nextCursor: next)
    }
}
