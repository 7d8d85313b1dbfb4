import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite

/// Reads the facts decisions are made of. Every method of a snapshot sees the same committed state.
///
/// Synchronous on purpose: a decision is a few indexed lookups of microseconds, less than an `await` hop costs.
/// Read everything one answer needs inside one `withSnapshot`, so no write can fall between two reads:
///
/// ```swift
/// let decision = try store.withSnapshot { snapshot in
///     let user = try snapshot.subject("u1")
///     let generation = try snapshot.generation("g42", userId: "u1", action: .download)
///     return Policy.decide(user: user, action: .download, generation: generation, userId: "u1", now: clock.milliseconds(),
///                          revision: try snapshot.revision(), explain: false)
/// }
/// ```
public protocol AuthorizationStore: Sendable {
    /// Runs `body` against one consistent snapshot of the data.
    func withSnapshot<T>(_ body: (any AuthorizationSnapshot) throws -> T) throws -> T

    /// Everything one decision about `request` reads, from one consistent snapshot. The default reads it with
    /// `withSnapshot`; a backend that can read it in one statement does so (SQLite: one implicit read transaction
    /// instead of four statements inside BEGIN … COMMIT).
    func decisionFacts(_ request: CheckRequest) throws -> DecisionFacts

    /// `decisionFacts(_:)` for an `async` caller (the HTTP handlers): the same facts from one consistent snapshot. The
    /// default reads them synchronously (SQLite: microseconds from memory, less than a suspension); a backend whose read
    /// is a network round trip awaits it without holding a thread (PostgreSQL).
    func decisionFacts(asynchronously request: CheckRequest) async throws -> DecisionFacts

    /// Runs `body`, which reads synchronously (`withSnapshot`, `decisionFacts(_:)`), for an `async` caller, on a thread
    /// that may block. The default runs it at once on the caller's thread (SQLite's reads do not wait for I/O); a
    /// backend whose reads wait for the network runs it on a thread pool of its own, so no thread of Swift's
    /// cooperative pool waits for the database (PostgreSQL).
    func runBlockingRead<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T
}

extension AuthorizationStore {
    public func decisionFacts(_ request: CheckRequest) throws -> DecisionFacts {
        try withSnapshot { snapshot in try DecisionFacts(request, in: snapshot, revision: snapshot.revision()) }
    }

    public func decisionFacts(asynchronously request: CheckRequest) async throws -> DecisionFacts {
        try decisionFacts(request)
    }

    public func runBlockingRead<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try body()
    }
}

/// What one decision reads: the snapshot's revision, the acting user, and the resource with the user's membership.
/// The resource is read only for an active user (an inactive one is denied before it is looked at: rule 1).
public struct DecisionFacts: Sendable, Equatable {
    public enum Resource: Sendable, Equatable {
        case generation(GenerationFacts?)
        case project(ProjectFacts?)
        case team(TeamFacts?)
    }

    /// The revision of the snapshot the facts come from.
    public var revision: Int64
    /// The acting user; nil when absent.
    public var subject: SubjectFacts?
    /// The resource, nil inside when absent; always nil inside when `subject` is not active.
    public var resource: Resource

    /// Facts as a backend reads them, or as a test states them.
    public init(revision: Int64, subject: SubjectFacts?, resource: Resource) {
        self.revision = revision
        self.subject = subject
        self.resource = subject?.isActive == true ? resource : Self.absent(resource)
    }

    /// The facts of `request` read from `snapshot`, labelled with `revision` (read once for a batch).
    public init(_ request: CheckRequest, in snapshot: any AuthorizationSnapshot, revision: Int64) throws {
        let subject = try snapshot.subject(request.userId)
        let active = subject?.isActive == true
        let resource: Resource
        switch request.resourceType {
        case .generation:
            resource = .generation(active ? try snapshot.generation(request.resourceId, userId: request.userId, action: request.action) : nil)
        case .project:
            resource = .project(active ? try snapshot.project(request.resourceId, userId: request.userId, action: request.action) : nil)
        case .team:
            resource = .team(active ? try snapshot.team(request.resourceId, userId: request.userId, action: request.action) : nil)
        }
        self.init(revision: revision, subject: subject, resource: resource)
    }

    private static func absent(_ resource: Resource) -> Resource {
        switch resource {
        case .generation: .generation(nil)
        case .project: .project(nil)
        case .team: .team(nil)
        }
    }
}

/// One consistent view of the data, valid only inside `withSnapshot`.
public protocol AuthorizationSnapshot {
    /// The data revision this snapshot shows.
    func revision() throws -> Int64
    /// The acting user; nil when absent.
    func subject(_ userId: String) throws -> SubjectFacts?
    /// A generation with its project, team and the user's membership; nil when absent.
    func generation(_ id: String, userId: String, action: Action) throws -> GenerationFacts?
    /// A project with its team's state and the user's membership (for `action`); nil when absent.
    func project(_ id: String, userId: String, action: Action) throws -> ProjectFacts?
    /// A team with the user's membership (for `action`); nil when absent.
    func team(_ id: String, userId: String, action: Action) throws -> TeamFacts?
    /// Ids of every resource of `type` on which `userId` may perform `action` at `now` (Unix milliseconds, the instant
    /// time-bound memberships are evaluated at), one page at a time.
    func resources(userId: String, type: ResourceType, action: Action, now: Int64, page: PageRequest) throws -> Page<String>
    /// Ids of every user who may perform `action` on the resource at `now`, one page at a time; nil when the resource is absent.
    func subjects(type: ResourceType, id: String, action: Action, now: Int64, page: PageRequest) throws -> Page<String>?
}

/// Where a listing starts and how much it returns.
public struct PageRequest: Sendable, Equatable {
    /// The largest page a listing returns.
    public static let maxLimit = 1000
    /// The page size when the client names none.
    public static let defaultLimit = 100
    /// The opaque cursor from the previous page, or nil for the first page.
    public var cursor: String?
    /// How many items to return, in `1...maxLimit`: the HTTP layer refuses anything else, and backends assume it.
    public var limit: Int

    /// A page request; the first page when `cursor` is nil.
    public init(cursor: String? = nil, limit: Int = PageRequest.defaultLimit) {
        self.cursor = cursor
        // A page holds at least one item and at most `maxLimit`: listings rely on it.
        self.limit = min(max(1, limit), PageRequest.maxLimit)
    }
}

/// One page of a listing; `nextCursor` is nil on the last page.
public struct Page<Item: Sendable>: Sendable {
    /// The page's items in the listing's order: by id, except a non-administrator's generations (their own first, then
    /// project by project).
    public var items: [Item]
    /// Where the next page starts: pass it back as `PageRequest.cursor`; nil on the last page.
    public var nextCursor: String?

    /// A page as a backend builds it.
    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// Cursors are opaque to clients: base64url of the position's parts joined by a separator that ids cannot contain.
/// Public so every backend issues and reads the same cursors.
public enum Cursor {
    /// The cursor of a position made of `parts`.
    public static func encode(_ parts: [String]) -> String {
        Base64URL.encode(Array(parts.joined(separator: "\u{1F}").utf8))
    }

    /// The `count` parts of `cursor` (nil for none); `invalid_field` `cursor` for anything this server did not issue.
    public static func decode(_ cursor: String?, parts count: Int) throws(PortcullisError) -> [String]? {
        guard let cursor else { return nil }
        guard let bytes = Base64URL.decode(cursor), let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalidField("cursor", "is not a cursor this server issued")
        }
        let parts = text.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == count else { throw .invalidField("cursor", "is not a cursor this server issued") }
        return parts
    }
}
