import PortcullisModel
import PortcullisStore

/// The parts of `Store` that phase 1 of the PostgreSQL backend does not implement yet (docs/scaling.md lists them).
/// Each answers `store_error` naming what is missing, never a wrong answer: a server on this backend cannot sign
/// users in, take API keys, import or search yet, which is why `serve` refuses `storage.backend = "postgres"`.
extension PostgresStore: CredentialStore, APIKeyStore, SessionStore, ImportStore, DirectorySearch, TimeBoundStore {
    static func notYetAvailable(_ what: String) -> PortcullisError {
        PortcullisError(.storeError, "\(what) is not yet available on the PostgreSQL backend (docs/scaling.md)")
    }

    // MARK: CredentialStore

    public func apiKey(hash: [UInt8]) throws -> APIKey? { throw Self.notYetAvailable("API key lookup") }

    public func tokenUser(hash: [UInt8], now: Int64) throws -> TokenUser? { throw Self.notYetAvailable("token lookup") }

    public func userCredentials(email: String) throws -> UserCredentials? { throw Self.notYetAvailable("sign-in") }

    public func profile(userId: String, now: Int64) throws -> Profile? { throw Self.notYetAvailable("the profile") }

    // MARK: APIKeyStore

    public func createAPIKey(name: String, scopes: [APIKeyScope], secret: APIKeySecret, source: APIKeySource, expiresAt: Int64?) async throws
        -> Written<APIKey>
    {
        throw Self.notYetAvailable("creating API keys")
    }

    public func replaceEnvironmentKey(_ secret: APIKeySecret, name: String) async throws -> Bool {
        throw Self.notYetAvailable("the environment's API key")
    }

    public func deleteAPIKey(_ id: String) async throws -> Int64 { throw Self.notYetAvailable("deleting API keys") }

    public func apiKeys() async throws -> [APIKey] { throw Self.notYetAvailable("listing API keys") }

    public func hasAPIKeys() async throws -> Bool { throw Self.notYetAvailable("API keys") }

    public func recordAPIKeyUse(id: String, at timestamp: String) async throws { throw Self.notYetAvailable("API key use") }

    // MARK: SessionStore

    public func createToken(userId: String, hash: [UInt8], expiresAt: Int64) async throws { throw Self.notYetAvailable("sign-in tokens") }

    public func deleteToken(hash: [UInt8]) async throws -> Bool { throw Self.notYetAvailable("sign-out") }

    public func endSessions(userId: String) async throws -> Int64 { throw Self.notYetAvailable("logout-all") }

    // MARK: ImportStore

    public func importRecords(from lines: some Sequence<(line: Int, text: Substring?)>, hasher: PasswordHasher) throws -> Written<ImportCounts> {
        throw Self.notYetAvailable("import")
    }

    // MARK: DirectorySearch

    public func users(matching prefix: String, _ page: PageRequest) async throws -> Page<User> { throw Self.notYetAvailable("user search") }

    public func teams(matching prefix: String, _ page: PageRequest) async throws -> Page<Team> { throw Self.notYetAvailable("team search") }

    public func projects(_ filter: ProjectFilter, _ page: PageRequest) async throws -> Page<Project> {
        throw Self.notYetAvailable("project search")
    }

    public func generations(_ filter: GenerationFilter, _ page: PageRequest) async throws -> Page<Generation> {
        throw Self.notYetAvailable("generation search")
    }

    public func memberships(userId: String) async throws -> [TeamMember] { throw Self.notYetAvailable("a user's memberships") }

    public func visibilityPreview(projectId: String, to visibility: Visibility, now: Int64) async throws -> VisibilityPreview {
        throw Self.notYetAvailable("the visibility preview")
    }

    // MARK: TimeBoundStore

    public func recordPassedBounds(until now: Int64) async throws -> Int64? { throw Self.notYetAvailable("the time-bound sweep") }
}
