/// The result of a committed write: the stored value and the revision the write produced.
public struct Written<Value: Sendable>: Sendable {
    public var value: Value
    public var revision: Int64

    public init(_ value: Value, revision: Int64) {
        self.value = value
        self.revision = revision
    }
}

/// Counts of entities stored by an import.
public struct ImportCounts: Sendable, Equatable, Codable {
    public var users = 0
    public var teams = 0
    public var members = 0
    public var projects = 0
    public var generations = 0

    public init() {}
}

/// Management of the directory: users, teams, memberships, projects, generations and API keys.
///
/// Every write runs in one transaction that also advances the data revision; a write that throws changed nothing.
public protocol DirectoryStore: Sendable {
    func createUser(_ input: NewUser, passwordHash: String?) async throws -> Written<User>
    func user(_ id: String) async throws -> User
    /// The user's password hash, for sign-in; nil when no live user has this email (in its stored, normalized form).
    func userCredentials(email: String) async throws -> (user: User, passwordHash: String?)?
    func updateUser(_ id: String, _ patch: UserPatch, passwordHash: String?) async throws -> Written<User>
    func deleteUser(_ id: String) async throws -> Int64
    func users(_ page: PageRequest) async throws -> Page<User>

    func createTeam(_ input: NewTeam) async throws -> Written<Team>
    func team(_ id: String) async throws -> Team
    func updateTeam(_ id: String, _ patch: TeamPatch) async throws -> Written<Team>
    func deleteTeam(_ id: String) async throws -> Int64
    func teams(_ page: PageRequest) async throws -> Page<Team>

    /// Creates or replaces a membership; `created` tells which.
    func putMember(teamId: String, userId: String, _ input: MembershipInput) async throws -> (member: Written<TeamMember>, created: Bool)
    func deleteMember(teamId: String, userId: String) async throws -> Int64
    func members(teamId: String) async throws -> [TeamMember]

    func createProject(_ input: NewProject) async throws -> Written<Project>
    func project(_ id: String) async throws -> Project
    func updateProject(_ id: String, _ patch: ProjectPatch) async throws -> Written<Project>
    func deleteProject(_ id: String) async throws -> Int64
    func projects(_ page: PageRequest) async throws -> Page<Project>

    func createGeneration(_ input: NewGeneration) async throws -> Written<Generation>
    func generation(_ id: String) async throws -> Generation
    func updateGeneration(_ id: String, _ patch: GenerationPatch) async throws -> Written<Generation>
    func deleteGeneration(_ id: String) async throws -> Int64
    func generations(_ page: PageRequest) async throws -> Page<Generation>

    func createAPIKey(name: String, scopes: [APIKeyScope], secret: APIKeySecret, source: APIKeySource) async throws -> Written<APIKey>
    /// Registers `secret` as the environment's admin key, removing any other environment key; true when anything changed.
    func replaceEnvironmentKey(_ secret: APIKeySecret, name: String) async throws -> Bool
    func deleteAPIKey(_ id: String) async throws -> Int64
    /// Every API key, oldest first, without secrets.
    func apiKeys() async throws -> [APIKey]
    /// Notes that a key authenticated a request (bookkeeping: no revision).
    func recordAPIKeyUse(id: String, at timestamp: String) async throws
    /// The key whose hash matches, or nil.
    func apiKey(hash: [UInt8]) throws -> APIKey?
    /// Whether any API key exists (first start creates the admin key when none does).
    func hasAPIKeys() throws -> Bool

    /// Stores a sign-in token's hash for a user until `expiresAt` (Unix seconds).
    func createToken(userId: String, hash: [UInt8], expiresAt: Int64) async throws
    /// Removes a token; false when there was none.
    func deleteToken(hash: [UInt8]) async throws -> Bool
    /// Ends every session of a user; returns the revision.
    func endSessions(userId: String) async throws -> Int64
    /// The user behind a live token whose user is active, or nil. Runs on the request path: one indexed lookup.
    func tokenUser(hash: [UInt8], now: Int64) throws -> (userId: String, isAdmin: Bool, expiresAt: Int64)?
    /// The user's active memberships of live teams.
    func memberships(of userId: String) async throws -> [UserMembership]

    /// Stores every record of an NDJSON stream in one transaction, or nothing.
    func importRecords(from lines: some Sequence<(line: Int, text: Substring)>, hasher: PasswordHasher) throws -> Written<ImportCounts>
}

/// A team as `/api/v1/me` shows it.
public struct UserMembership: Sendable, Equatable, Codable {
    public var teamId: String
    public var name: String
    public var role: TeamRole

    public init(teamId: String, name: String, role: TeamRole) {
        self.teamId = teamId
        self.name = name
        self.role = role
    }

    enum CodingKeys: String, CodingKey {
        case teamId = "team_id", name, role
    }
}
