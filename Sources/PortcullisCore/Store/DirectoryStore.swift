import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite

/// The result of a committed write: the stored value and the revision the write produced.
public struct Written<Value: Sendable>: Sendable {
    /// What the write stored, as it now reads (ids and timestamps filled in).
    public var value: Value
    /// The revision the write produced, sent to the client as `X-Portcullis-Revision`; a later check reports at least this.
    public var revision: Int64

    /// A write's result as a backend returns it.
    public init(_ value: Value, revision: Int64) {
        self.value = value
        self.revision = revision
    }
}

/// Users: create, read, change, soft-delete, list.
///
/// Management protocols are `async`: a write waits for the database (a commit, `fsync`), and their callers — the
/// management routes — run on tasks that can wait. Every write runs in one transaction that also advances the data
/// revision and announces its `Commit`; a write that throws changed nothing.
///
/// ```swift
/// let hash = try await hashing.run { hasher.hash("s3cret-pass") }
/// let created = try await store.createUser(NewUser(email: "ada@example.com"), passwordHash: hash)
/// let disabled = try await store.updateUser(created.value.id, UserPatch(status: .disabled), passwordHash: nil)
/// // disabled.revision > created.revision; every session of the user has ended
/// ```
public protocol UserStore: Sendable {
    /// Creates a user (409 on a taken id or email, ids are never reused).
    @discardableResult
    func createUser(_ input: NewUser, passwordHash: String?) async throws -> Written<User>
    /// A live user, or `not_found`.
    func user(_ id: String) async throws -> User
    /// Changes a user; a new password hash, disabling or deleting ends every session of the user.
    @discardableResult
    func updateUser(_ id: String, _ patch: UserPatch, passwordHash: String?) async throws -> Written<User>
    /// Soft-deletes a user and ends their sessions; returns the revision.
    @discardableResult
    func deleteUser(_ id: String) async throws -> Int64
    /// One page of live users in id order.
    func users(_ page: PageRequest) async throws -> Page<User>
}

/// Teams and their memberships.
///
/// ```swift
/// let team = try await store.createTeam(NewTeam(name: "Studio", ownerId: "alice")).value   // alice: owner
/// let (member, created) = try await store.putMember(teamId: team.id, userId: "bob", MembershipInput(role: .editor))
/// ```
public protocol TeamStore: Sendable {
    /// Creates a team; its owner becomes a member with role `owner`.
    @discardableResult
    func createTeam(_ input: NewTeam) async throws -> Written<Team>
    /// A live team, or `not_found`.
    func team(_ id: String) async throws -> Team
    /// Renames a team or changes its owner (who then holds the owner role).
    @discardableResult
    func updateTeam(_ id: String, _ patch: TeamPatch) async throws -> Written<Team>
    /// Soft-deletes a team (its memberships stay, granting nothing); returns the revision.
    @discardableResult
    func deleteTeam(_ id: String) async throws -> Int64
    /// One page of live teams in id order.
    func teams(_ page: PageRequest) async throws -> Page<Team>
    /// Creates or replaces a membership; `created` tells which.
    @discardableResult
    func putMember(teamId: String, userId: String, _ input: MembershipInput) async throws -> (member: Written<TeamMember>, created: Bool)
    /// Removes a membership of a live team; `not_found` for no such team or membership. Returns the revision.
    @discardableResult
    func deleteMember(teamId: String, userId: String) async throws -> Int64
    /// Every membership of a live team, inactive ones included, deleted users left out, in user id order.
    func members(teamId: String) async throws -> [TeamMember]
}

/// Projects.
public protocol ProjectStore: Sendable {
    /// Creates a project (409 on a taken id; 422 when the owner or team is not live).
    @discardableResult
    func createProject(_ input: NewProject) async throws -> Written<Project>
    /// A live project, or `not_found`.
    func project(_ id: String) async throws -> Project
    /// Changes a project's name, owner, team or visibility (422 for an owner or team that is not live).
    @discardableResult
    func updateProject(_ id: String, _ patch: ProjectPatch) async throws -> Written<Project>
    /// Soft-deletes a project (decisions then treat its generations as absent too); returns the revision.
    @discardableResult
    func deleteProject(_ id: String) async throws -> Int64
    /// One page of live projects in id order.
    func projects(_ page: PageRequest) async throws -> Page<Project>
}

/// Generations.
public protocol GenerationStore: Sendable {
    /// Creates a generation (409 on a taken id; 422 when the owner or project is not live).
    @discardableResult
    func createGeneration(_ input: NewGeneration) async throws -> Written<Generation>
    /// A live generation (even in a deleted project), or `not_found`.
    func generation(_ id: String) async throws -> Generation
    /// Changes a generation's owner, project, status or media key (422 for an owner or project that is not live).
    @discardableResult
    func updateGeneration(_ id: String, _ patch: GenerationPatch) async throws -> Written<Generation>
    /// Soft-deletes a generation; returns the revision.
    @discardableResult
    func deleteGeneration(_ id: String) async throws -> Int64
    /// One page of live generations in id order (those of deleted projects included).
    func generations(_ page: PageRequest) async throws -> Page<Generation>
}

/// The directory: everything management reads and writes.
public typealias DirectoryStore = UserStore & TeamStore & ProjectStore & GenerationStore & APIKeyStore & SessionStore & ImportStore
    & DirectorySearch

/// Everything a server needs from a backend: the directory, the decision and credential reads of the request path,
/// the change log, and the figures the monitor shows. SQLite (`SQLiteStore`) and memory (`MemoryStore`) implement it; the store
/// conformance suite holds both to the same behaviour.
public typealias Store = DirectoryStore & AuthorizationStore & CredentialStore & StoreDiagnostics & VersionStore & ChangeStore & TimeBoundStore
