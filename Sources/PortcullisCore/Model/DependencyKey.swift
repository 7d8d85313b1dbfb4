/// Something a cached answer can depend on: an entity whose changes a decision could see, or a shared marker.
///
/// The vocabulary between the store, which says what each committed write changed, and the cache, which serves an
/// answer only while everything it depended on is unchanged. Neither owns it.
public struct DependencyKey: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public static func user(_ id: String) -> Self { Self(rawValue: "user:" + id) }
    public static func team(_ id: String) -> Self { Self(rawValue: "team:" + id) }
    public static func project(_ id: String) -> Self { Self(rawValue: "project:" + id) }
    public static func generation(_ id: String) -> Self { Self(rawValue: "generation:" + id) }
    /// All API keys share one version: deleting any key moves it.
    public static let apiKeys = Self(rawValue: "apikeys")
    /// Every cached answer depends on the epoch; bulk imports move it.
    public static let epoch = Self(rawValue: "epoch")

    public var description: String { rawValue }
}

/// A committed write as the store announces it: the revision it produced and the dependencies whose versions it
/// moved to that revision. The store announces it after the commit and before the write returns, so whoever applies
/// it (the cache's `VersionClock`) is current before any response.
public struct Commit: Sendable, Equatable {
    public var revision: Int64
    public var changed: [DependencyKey]

    public init(revision: Int64, changed: [DependencyKey]) {
        self.revision = revision
        self.changed = changed
    }
}
