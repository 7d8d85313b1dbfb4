import PortcullisModel
import PortcullisPolicy
import Synchronization

/// The in-memory backend: every entity, session, key and version in one `MemoryState` value. Nothing survives the
/// process, so it serves tests and experiments, never a deployment; the store conformance suite holds it to the same
/// behaviour as `SQLiteStore`, and its listings — computed by asking `Policy` about every candidate — make it an
/// independent oracle for the SQL ones.
///
/// Concurrency mirrors SQLite in WAL mode: one writer at a time (`writer`), readers never wait for it. A write copies
/// the state, changes the copy, and swaps it in only when every check passed (a write that throws changed nothing);
/// a snapshot is a copy of the state, so it sees one committed revision however long it is held. A write copies the
/// tables it touches (copy-on-write), which is fine at test sizes and linear in the table's size.
///
/// ```swift
/// let store = MemoryStore(clock: time.clock, onCommit: versions.apply)
/// let user = try await store.createUser(NewUser(id: "alice", email: "alice@example.com"), passwordHash: nil)
/// ```
public final class MemoryStore: Store {
    private let state = Mutex(MemoryState())
    /// Held for the whole of a write (and of bookkeeping), so writes apply one after another.
    private let writer = Mutex(())
    /// Timestamps (`created_at`, `deleted_at`, API keys) and token expiry read this clock.
    let clock: WallClock
    /// Told of every committed write, after the swap and before the write returns.
    let onCommit: @Sendable (Commit) -> Void
    /// `databaseIdentity()`: random, per store.
    private let identity = (0..<4).map { _ in String(UInt32.random(in: .min ... .max), radix: 16) }.joined()

    /// - Parameters:
    ///   - clock: what timestamps and token expiry read (default: the system clock).
    ///   - onCommit: told of every committed write with the dependencies it changed, before the write returns.
    public init(clock: WallClock = .system, onCommit: @escaping @Sendable (Commit) -> Void = { _ in }) {
        self.clock = clock
        self.onCommit = onCommit
        let now = clock.milliseconds()
        state.withLock { $0.boundsSweptUntil = now }
    }

    /// The current state (a copy: later writes do not change it).
    func current() -> MemoryState {
        state.withLock { $0 }
    }

    /// Runs `body` on a copy of the state; when it returns, adds the changes it recorded to the log, sets the versions of
    /// what it reported changed, swaps the copy in and announces the commit, as `SQLiteStore.write` does in a
    /// transaction. When it throws, nothing changes and nothing is announced. The announcement is made under the writer
    /// lock, after the swap, so commits are announced in revision order.
    func write<T: Sendable>(_ body: (inout MemoryState, inout [DependencyKey], inout ChangeRecorder) throws -> T) throws -> Written<T> {
        let attribution = WriteAttribution.current
        return try writer.withLock { _ throws -> Written<T> in
            var next = current()
            next.revision += 1
            let revision = next.revision
            let recorded = RecordedChanges()
            var changes = ChangeRecorder(revision: revision, at: clock.timestamp(), attribution: attribution) { recorded.items.append($0) }
            var changed: [DependencyKey] = []
            let value = try body(&next, &changed, &changes)
            next.changes.append(contentsOf: recorded.items)
            for key in changed { next.versions[key] = revision }
            state.withLock { $0 = next }
            onCommit(Commit(revision: revision, changed: changed, changes: changes.tally))
            return Written(value, revision: revision)
        }
    }

    /// Changes bookkeeping that is not data (an API key's last use, retention): no revision, no version, no commit.
    func touch(_ body: (inout MemoryState) -> Void) {
        writer.withLock { _ in
            var next = current()
            body(&next)
            state.withLock { $0 = next }
        }
    }
}

extension MemoryStore {
    /// The current data revision.
    public func revision() -> Int64 {
        state.withLock { $0.revision }
    }

    /// No statements: the memory backend runs no SQL.
    public func statements() -> StatementsReport {
        StatementsReport(queries: [], statementCache: StatementCacheReport(capacity: 0, size: 0, hits: 0, misses: 0, evictions: 0, hitRate: 0),
                         recommendations: [])
    }

    /// No statements: the memory backend runs no SQL.
    public func statementFigures() -> StatementFiguresReport {
        StatementFiguresReport(statements: [], statementCache: statements().statementCache)
    }

    /// Nothing on disk.
    public func storageBytes() -> (database: Int?, log: Int?) {
        (nil, nil)
    }

    /// Made with the store: nothing outlives it.
    public func databaseIdentity() -> String {
        identity
    }

    /// The current versions: nothing is persisted, so what a new `VersionClock` loads is what this store holds now.
    public func persistedVersions() -> (versions: [(key: DependencyKey, version: Int64)], revision: Int64) {
        let state = current()
        return (state.versions.map { (key: $0.key, version: $0.value) }, state.revision)
    }
}

/// The changes one write recorded, collected until the write's state is swapped in (local to the write).
private final class RecordedChanges {
    var items: [Change] = []
}
