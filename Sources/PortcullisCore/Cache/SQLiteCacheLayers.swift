import PortcullisModel
import PortcullisSQLite
import Synchronization

/// L2 (the session cache: emptied at every start) and L3 (survives restarts) as tables of one SQLite file beside the
/// database, `decision-cache.sqlite`, in WAL mode with `synchronous=OFF`: losing a cache write costs a recomputation,
/// never correctness, since every entry is validated against the versions on read.
///
/// Reads are on the request path (one primary-key lookup on a held connection); writes are queued and committed in
/// batches by `flush()`, which `CacheWriter` calls in the background.
///
/// The file belongs to one database: `cache_origin` records that database's identity and the highest revision any
/// entry was computed at. Opened beside another database, or beside one whose revision is behind that (a history
/// rolled back), it drops every entry, since versions are counters that repeat across databases and histories
/// (docs/caching.md, "Whose entries L3 keeps").
final class SQLiteCacheLayers: Sendable {
    enum Layer: Int, Sendable {
        case l2 = 2, l3 = 3
    }

    enum Operation {
        case put(Layer, String, CacheEntry, hits: Int64)
        case delete(Layer, String)
    }

    let path: String
    /// Read at each flush: the revision the file records is at or above every entry it holds.
    private let versions: VersionClock
    let readers: SnapshotReaderPool
    private let writer: Mutex<WriterConnection>
    private let pending = Mutex<[Operation]>([])
    /// Hashes of the keys each layer holds (or may hold), so a miss costs a set lookup instead of a query.
    /// A false positive only costs that query; a key is added before its write is queued and never removed early.
    private let present: Mutex<(l2: Set<Int>, l3: Set<Int>)>
    static let maxTrackedKeys = 4_000_000
    /// Queued writes beyond this are dropped (the cache is best effort; the request path never waits on it).
    let maxPending: Int
    private let dropped = Atomic<Int>(0)

    static let schema = """
        CREATE TABLE IF NOT EXISTS cache_entries (
            layer        INTEGER NOT NULL,
            key          TEXT NOT NULL,
            payload      TEXT NOT NULL,
            dependencies TEXT NOT NULL,
            expires_at   INTEGER NOT NULL,
            priority     INTEGER NOT NULL,
            hits         INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (layer, key)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS cache_entries_hot ON cache_entries (layer, hits DESC);
        CREATE TABLE IF NOT EXISTS cache_origin (
            id       INTEGER PRIMARY KEY CHECK (id = 1),
            database TEXT NOT NULL,
            revision INTEGER NOT NULL
        );
        """

    private static let put = StatementKey("""
        INSERT INTO cache_entries (layer, key, payload, dependencies, expires_at, priority, hits)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
        ON CONFLICT (layer, key) DO UPDATE SET payload = excluded.payload, dependencies = excluded.dependencies,
            expires_at = excluded.expires_at, priority = excluded.priority, hits = max(hits, excluded.hits)
        """)
    private static let get = StatementKey("SELECT payload, dependencies, expires_at, priority FROM cache_entries WHERE layer = ?1 AND key = ?2")
    private static let delete = StatementKey("DELETE FROM cache_entries WHERE layer = ?1 AND key = ?2")

    private static let raiseOrigin = StatementKey("UPDATE cache_origin SET revision = max(revision, ?1)")

    /// Opens (creating) the cache file, empties L2 and drops expired L3 entries. Times are Unix milliseconds (rows
    /// written by an older version in seconds look long expired and go).
    /// - Parameters:
    ///   - database: the identity of the database the entries are computed from (`VersionStore.databaseIdentity()`).
    ///   - versions: that database's versions, loaded. Every entry goes unless the file was last written beside the
    ///     same database at a revision no higher than the one they are loaded at.
    init(path: String, database: String, versions: VersionClock, maxPending: Int = 50_000, now: Int64) throws {
        self.path = path
        self.versions = versions
        self.maxPending = maxPending
        let revision = versions.revision
        let connection = try PreparedConnection(path: path, busyTimeoutMilliseconds: 1_000, readOnly: false)
        try connection.execute("PRAGMA journal_mode = WAL")
        try connection.execute("PRAGMA synchronous = OFF")
        try connection.execute(Self.schema)
        try connection.execute("BEGIN IMMEDIATE")
        let origin = try connection.statement("SELECT database, revision FROM cache_origin WHERE id = 1")
        let sameHistory = try origin.step() && origin.text(0) == database && origin.int64(1) <= revision
        connection.resetActive()
        try connection.execute("DELETE FROM cache_entries WHERE layer = 2 OR expires_at <= \(now)" + (sameHistory ? "" : " OR 1"))
        let record = try connection.statement("INSERT OR REPLACE INTO cache_origin (id, database, revision) VALUES (1, ?1, ?2)")
        record.bind(1, database)
        record.bind(2, revision)
        try record.stepToEnd()
        connection.resetActive()
        try connection.execute("COMMIT")
        var l3Keys = Set<Int>()
        let keys = try connection.statement("SELECT key FROM cache_entries WHERE layer = 3")
        while try keys.step() { l3Keys.insert((keys.text(0) ?? "").hashValue) }
        connection.resetActive()
        present = Mutex(([], l3Keys))
        writer = Mutex(WriterConnection(connection: connection))
        readers = SnapshotReaderPool(path: path, capacity: 8, busyTimeoutMilliseconds: 100)
    }

    /// The entry stored in `layer` under `key`, if any (expiry and validity are the caller's to check).
    func get(_ layer: Layer, _ key: String) throws -> CacheEntry? {
        let hash = key.hashValue
        guard present.withLock({ layer == .l2 ? $0.l2.contains(hash) : $0.l3.contains(hash) }) else { return nil }
        return try readers.withConnection { connection throws(PortcullisError) -> CacheEntry? in
            let statement = try connection.statement(Self.get)
            statement.bind(1, Int64(layer.rawValue))
            statement.bind(2, key)
            guard try statement.step(), let dependencies = CacheEntry.decodeDependencies(statement.text(1) ?? "") else { return nil }
            return CacheEntry(payload: statement.text(0) ?? "", dependencies: dependencies, expiresAt: statement.int64(2),
                              priority: CachePriority(rawValue: Int(statement.int64(3))) ?? .normal)
        }
    }

    /// Queues a write; never blocks on the database.
    func enqueuePut(_ layer: Layer, _ key: String, _ entry: CacheEntry, hits: Int64 = 0) {
        let hash = key.hashValue
        present.withLock { present in
            // Bounded: past the cap the filter starts over, which only costs lookups of older rows.
            if present.l2.count + present.l3.count > Self.maxTrackedKeys { present = ([], []) }
            if layer == .l2 { present.l2.insert(hash) } else { present.l3.insert(hash) }
        }
        enqueue(.put(layer, key, entry, hits: hits))
    }

    func enqueueDelete(_ layer: Layer, _ key: String) {
        enqueue(.delete(layer, key))
    }

    private func enqueue(_ operation: Operation) {
        let accepted = pending.withLock { pending in
            guard pending.count < maxPending else { return false }
            pending.append(operation)
            return true
        }
        if !accepted { dropped.add(1, ordering: .relaxed) }
    }

    /// Writes every queued operation in one transaction, with the applied revision read after taking them (at or
    /// above the revision every one of them was computed at) as the file's recorded revision. Returns how many were
    /// written.
    @discardableResult
    func flush() throws -> Int {
        let operations = pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !operations.isEmpty else { return 0 }
        let revision = versions.revision
        try writer.withLock { writer throws(PortcullisError) in
            let connection = writer.connection
            try connection.execute("BEGIN")
            do throws(PortcullisError) {
                for operation in operations {
                    switch operation {
                    case .put(let layer, let key, let entry, let hits):
                        let statement = try connection.statement(Self.put)
                        statement.bind(1, Int64(layer.rawValue))
                        statement.bind(2, key)
                        statement.bind(3, entry.payload)
                        statement.bind(4, entry.encodedDependencies)
                        statement.bind(5, entry.expiresAt)
                        statement.bind(6, Int64(entry.priority.rawValue))
                        statement.bind(7, hits)
                        try statement.stepToEnd()
                    case .delete(let layer, let key):
                        let statement = try connection.statement(Self.delete)
                        statement.bind(1, Int64(layer.rawValue))
                        statement.bind(2, key)
                        try statement.stepToEnd()
                    }
                }
                let raise = try connection.statement(Self.raiseOrigin)
                raise.bind(1, revision)
                try raise.stepToEnd()
                connection.resetActive()
                try connection.execute("COMMIT")
            } catch {
                connection.resetActive()
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
        return operations.count
    }

    /// Deletes expired rows and rebuilds the presence filter from what remains, so neither grows without bound.
    /// A key queued meanwhile may drop out of the filter: that costs a miss, never a wrong answer.
    func sweep(now: Int64) throws {
        try flush()
        try writer.withLock { writer throws(PortcullisError) in
            let connection = writer.connection
            try connection.execute("DELETE FROM cache_entries WHERE expires_at <= \(now)")
            var l2 = Set<Int>(), l3 = Set<Int>()
            let keys = try connection.statement("SELECT layer, key FROM cache_entries")
            while try keys.step() {
                if keys.int64(0) == 2 { l2.insert((keys.text(1) ?? "").hashValue) } else { l3.insert((keys.text(1) ?? "").hashValue) }
            }
            connection.resetActive()
            present.withLock { $0 = (l2, l3) }
        }
    }

    /// The hottest live L3 entries, for warming L1 at start.
    func hottest(limit: Int, now: Int64) throws -> [(key: String, entry: CacheEntry)] {
        try readers.withConnection { connection throws(PortcullisError) in
            let statement = try connection.statement("""
                SELECT key, payload, dependencies, expires_at, priority FROM cache_entries
                WHERE layer = 3 AND expires_at > ?1 ORDER BY hits DESC LIMIT ?2
                """)
            statement.bind(1, now)
            statement.bind(2, Int64(limit))
            var entries: [(key: String, entry: CacheEntry)] = []
            while try statement.step() {
                guard let dependencies = CacheEntry.decodeDependencies(statement.text(2) ?? "") else { continue }
                entries.append((statement.text(0) ?? "", CacheEntry(payload: statement.text(1) ?? "", dependencies: dependencies,
                    expiresAt: statement.int64(3), priority: CachePriority(rawValue: Int(statement.int64(4))) ?? .normal)))
            }
            return entries
        }
    }

    /// Entries per layer.
    func counts() throws -> (l2: Int, l3: Int) {
        try readers.withConnection { connection throws(PortcullisError) in
            let statement = try connection.statement("SELECT layer, count(*) FROM cache_entries GROUP BY layer")
            var counts = (l2: 0, l3: 0)
            while try statement.step() {
                if statement.int64(0) == 2 { counts.l2 = Int(statement.int64(1)) } else { counts.l3 = Int(statement.int64(1)) }
            }
            return counts
        }
    }

    var droppedWrites: Int { dropped.load(ordering: .relaxed) }
    var pendingWrites: Int { pending.withLock { $0.count } }
}

/// The single writing connection. `@unchecked Sendable`: it is only used inside `SQLiteCacheLayers.writer`'s mutex.
final class WriterConnection: @unchecked Sendable {
    let connection: PreparedConnection

    init(connection: PreparedConnection) {
        self.connection = connection
    }
}
