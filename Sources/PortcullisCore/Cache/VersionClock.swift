import PortcullisModel
import PortcullisSQLite
import Synchronization

/// The current version of every dependency, in memory: the cache's view of what the store has committed.
///
/// The store moves versions in the same transaction as each change (persisting them) and announces the `Commit`
/// after it, before the write returns; the composition root hands those announcements to `apply`. Readers take a
/// `stamp` of the versions *before* reading the data their answer is computed from. So an answer is stored with
/// versions no newer than the data it saw, and it is served only while those versions are current: after a write has
/// returned, its new versions are here and every older answer fails validation.
///
/// ```swift
/// let versions = VersionClock()
/// let store = try StoreBackend.open(configuration, onCommit: versions.apply)
/// versions.load(try store.persistedVersions())   // before the first request
/// ```
public final class VersionClock: Sendable {
    private let versions = Mutex<[String: Int64]>([:])
    /// The highest revision whose versions have all been applied.
    private let appliedRevision = Atomic<Int64>(0)

    /// An empty clock at revision 0; `load` it from the store before anything is served.
    public init() {}

    /// Loads the persisted versions (at start, before anything is served) and the revision they are current for.
    public func load(_ persisted: (versions: [(key: DependencyKey, version: Int64)], revision: Int64)) {
        load(persisted.versions, revision: persisted.revision)
    }

    /// Sets the versions of `rows` (keeping the others) and the applied revision to `revision`.
    public func load(_ rows: [(key: DependencyKey, version: Int64)], revision: Int64) {
        versions.withLock { table in
            for row in rows { table[row.key.rawValue] = row.version }
        }
        appliedRevision.store(revision, ordering: .releasing)
    }

    /// Records a committed write: its dependencies' versions move to its revision.
    public func apply(_ commit: Commit) {
        apply(commit.changed, revision: commit.revision)
    }

    func apply(_ keys: [DependencyKey], revision: Int64) {
        if !keys.isEmpty {
            versions.withLock { table in
                for key in keys { table[key.rawValue] = max(table[key.rawValue] ?? 0, revision) }
            }
        }
        // After the versions: a reader that sees this revision also sees them.
        var current = appliedRevision.load(ordering: .acquiring)
        while current < revision {
            let (exchanged, original) = appliedRevision.compareExchange(expected: current, desired: revision, ordering: .acquiringAndReleasing)
            if exchanged { break }
            current = original
        }
    }

    /// The revision up to which every committed write's versions are applied.
    public var revision: Int64 { appliedRevision.load(ordering: .acquiring) }

    /// Current versions of `keys` (0 for a key never changed), in order.
    public func stamp(_ keys: [DependencyKey]) -> [Int64] {
        versions.withLock { table in keys.map { table[$0.rawValue] ?? 0 } }
    }

    /// Whether every dependency still has the version recorded with an answer.
    public func isCurrent(_ dependencies: [Dependency]) -> Bool {
        versions.withLock { table in
            for dependency in dependencies where (table[dependency.key.rawValue] ?? 0) != dependency.version { return false }
            return true
        }
    }

    /// Number of dependencies with a version (for reports).
    public var count: Int { versions.withLock { $0.count } }
}

/// A dependency and the version an answer was computed at.
public struct Dependency: Sendable, Equatable {
    /// What the answer depended on.
    public var key: DependencyKey
    /// Its version when the answer was stored; 0 when nothing had ever moved it.
    public var version: Int64

    /// A recorded dependency.
    public init(key: DependencyKey, version: Int64) {
        self.key = key
        self.version = version
    }
}
