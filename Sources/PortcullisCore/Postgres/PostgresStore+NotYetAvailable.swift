import PortcullisModel
import PortcullisStore

/// The parts of `Store` that phase 1 of the PostgreSQL backend does not implement yet (docs/scaling.md lists them).
/// Each answers `store_error` naming what is missing, never a wrong answer: a server on this backend cannot import,
/// search or sweep time bounds yet, which is one reason `serve` refuses `storage.backend = "postgres"`.
extension PostgresStore: ImportStore, DirectorySearch, TimeBoundStore {
    static func notYetAvailable(_ what: String) -> PortcullisError {
        PortcullisError(.storeError, "\(what) is not yet available on the PostgreSQL backend (docs/scaling.md)")
    }

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
