/// Something a cached answer can depend on: an entity whose changes a decision could see, or a shared marker.
///
/// The vocabulary between the store, which says what each committed write changed, and the cache, which serves an
/// answer only while everything it depended on is unchanged. Neither owns it.
public struct DependencyKey: Hashable, Sendable, CustomStringConvertible {
    /// `kind:id` (`user:u1`) or a shared marker (`apikeys`, `epoch`): the key of the `versions` table and of `VersionClock`.
    public let rawValue: String

    /// A key from its stored form (reading the `versions` table or a cache entry); in code, prefer `user(_:)` and its siblings.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The user's own row, their memberships and their sessions: moved by user changes, membership changes and logout.
    public static func user(_ id: String) -> Self { Self(rawValue: "user:" + id) }
    /// A team's row (name, owner, deletion): moved by team patches and deletes.
    public static func team(_ id: String) -> Self { Self(rawValue: "team:" + id) }
    /// A project's row (owner, team, visibility, deletion): moved by project patches and deletes.
    public static func project(_ id: String) -> Self { Self(rawValue: "project:" + id) }
    /// A generation's row (owner, project, status, media key, deletion): moved by generation patches and deletes.
    public static func generation(_ id: String) -> Self { Self(rawValue: "generation:" + id) }
    /// All API keys share one version: deleting any key moves it.
    public static let apiKeys = Self(rawValue: "apikeys")
    /// Every cached answer depends on the epoch; bulk imports move it.
    public static let epoch = Self(rawValue: "epoch")

    /// The raw value, for logs and messages.
    public var description: String { rawValue }
}

/// A committed write as the store announces it: the revision it produced and the dependencies whose versions it
/// moved to that revision. The store announces it after the commit and before the write returns, so whoever applies
/// it (the cache's `VersionClock`) is current before any response.
public struct Commit: Sendable, Equatable {
    /// The data revision the write's transaction produced (the value of `revision` after its `+ 1`).
    public var revision: Int64
    /// The dependencies whose versions the write set to `revision`; empty for a write that can contradict no cached answer.
    public var changed: [DependencyKey]
    /// How many changes the write recorded in the change log, per entity (none for sign-ins and sign-outs).
    public var changes: ChangeTally

    /// A commit as a backend announces it; `VersionClock.apply(_:)` consumes it.
    public init(revision: Int64, changed: [DependencyKey], changes: ChangeTally = ChangeTally()) {
        self.revision = revision
        self.changed = changed
        self.changes = changes
    }
}
