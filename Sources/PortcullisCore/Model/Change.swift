/// What kind of entity a change is about (SPEC 8.2), as written in a change's `entity`.
public enum ChangeEntity: String, Sendable, CaseIterable, Codable {
    /// `user`, `team`, `member` (a membership, id `<team_id>/<user_id>`), `project`, `generation`, `api_key`.
    case user, team, member, project, generation, apiKey = "api_key"
}

/// What happened to the entity: `create`, `update`, `delete` (soft or hard), or a time bound passing on a
/// membership (`expire`, `activate`).
public enum ChangeOp: String, Sendable, CaseIterable, Codable {
    /// The entity did not exist before (`before` is null).
    case create
    /// The entity existed before and after.
    case update
    /// A soft delete (`after` carries `deleted_at`) or a removal (`after` is null).
    case delete
    /// A membership's `expires_at` passed.
    case expire
    /// A membership's `starts_at` passed.
    case activate
}

/// Who made a write: the caller's credential kind and id, as a change's `actor` records it.
public struct ChangeActor: Sendable, Equatable, Hashable {
    /// The kind of caller.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// `api_key` (an API key, `id` its key id), `user` (a user token, `id` the user), `cli` (an offline command,
        /// `id` its name), `system` (the server itself: start-up, sweeps; `id` names the job).
        case apiKey = "api_key", user, cli, system
    }

    /// The kind of caller.
    public var kind: Kind
    /// The key id, user id, command or job name; nil when unknown.
    public var id: String?

    /// An actor of `kind` named `id`.
    public init(_ kind: Kind, id: String?) {
        self.kind = kind
        self.id = id
    }

    /// An API key, by its id.
    public static func apiKey(_ id: String) -> Self { Self(.apiKey, id: id) }
    /// A signed-in user, by their id.
    public static func user(_ id: String) -> Self { Self(.user, id: id) }
    /// An offline command (`import`, `demo`, `seed`).
    public static func cli(_ command: String) -> Self { Self(.cli, id: command) }
    /// The server itself, naming the job (`bootstrap`, `retention`).
    public static func system(_ job: String?) -> Self { Self(.system, id: job) }
}

/// A place in the change log: after change `seq` of `revision`. `seq == nil` means after the whole revision.
public struct ChangePosition: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The revision.
    public var revision: Int64
    /// The last change of `revision` already seen; nil when the whole revision was.
    public var seq: Int64?

    /// After `seq` of `revision` (or after all of it).
    public init(revision: Int64, seq: Int64? = nil) {
        self.revision = revision
        self.seq = seq
    }

    /// Parses `N` or `N:seq` (both non-negative decimal integers), as `since`, `cursor` and `Last-Event-ID` carry
    /// them; nil for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let revision = Self.number(parts[0]) else { return nil }
        self.revision = revision
        if parts.count == 2 {
            guard let seq = Self.number(parts[1]) else { return nil }
            self.seq = seq
        }
    }

    private static func number(_ text: some StringProtocol) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int64(text)
    }

    /// `N` or `N:seq`.
    public var description: String { seq.map { "\(revision):\($0)" } ?? String(revision) }
}

/// One entry of the change log (SPEC 8.2): one entity changed by one committed write.
///
/// `before` and `after` hold the entity's public JSON (the API's shape for it, never a secret or hash) as text,
/// nil where the entity did not exist; `json` renders the whole record.
public struct Change: Sendable, Equatable {
    /// The revision of the write; every change of one write shares it.
    public var revision: Int64
    /// The change's order within its write, from 0.
    public var seq: Int64
    /// When the write happened (RFC 3339 UTC, one value for the whole write).
    public var at: String
    /// Who made the write.
    public var actor: ChangeActor
    /// The HTTP request that made it (`X-Request-Id`); nil for offline commands and the server's own jobs.
    public var requestId: String?
    /// The kind of entity.
    public var entity: ChangeEntity
    /// The entity's id; a membership's is `<team_id>/<user_id>`.
    public var entityId: String
    /// What happened.
    public var op: ChangeOp
    /// The entity's JSON before the write; nil when it did not exist.
    public var before: String?
    /// The entity's JSON after the write; nil when it no longer exists (a removed membership, a revoked key).
    public var after: String?

    /// A change as a backend stores and reads it.
    public init(revision: Int64, seq: Int64, at: String, actor: ChangeActor, requestId: String?, entity: ChangeEntity, entityId: String,
                op: ChangeOp, before: String?, after: String?) {
        self.revision = revision
        self.seq = seq
        self.at = at
        self.actor = actor
        self.requestId = requestId
        self.entity = entity
        self.entityId = entityId
        self.op = op
        self.before = before
        self.after = after
    }

    /// Where this change sits in the log.
    public var position: ChangePosition { ChangePosition(revision: revision, seq: seq) }
}

/// How many changes a write recorded, per entity kind (announced with its `Commit`, counted by the monitor).
public struct ChangeTally: Sendable, Equatable {
    private var counts: [Int] = Array(repeating: 0, count: ChangeEntity.allCases.count)

    /// No changes.
    public init() {}

    /// Counts one change of `entity`.
    public mutating func add(_ entity: ChangeEntity, count: Int = 1) {
        counts[Self.index(entity)] += count
    }

    /// The changes of `entity`.
    public subscript(entity: ChangeEntity) -> Int { counts[Self.index(entity)] }

    /// Every change, whatever the entity.
    public var total: Int { counts.reduce(0, +) }

    private static func index(_ entity: ChangeEntity) -> Int {
        ChangeEntity.allCases.firstIndex(of: entity)!
    }
}
