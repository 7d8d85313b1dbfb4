import PortcullisModel
import PortcullisSQLite
import Synchronization

/// The decision log's SQLite file, `decisions.sqlite` in the data directory, beside (never inside) the database: its
/// writes must never compete with the data's, and a full log must never stop a write.
///
/// WAL with `synchronous=NORMAL`: a power loss may cost the last batches, never the file. One row per entry, keyed by
/// the id's `key` (time, then counter), so newest-first pages, `since`/`until` and `cursor` are ranges of the primary
/// key, and each entry is an append. The filters of `GET /api/v1/audit/decisions` read `decision_postings` (one row
/// per user, resource, type and outcome per batch, `DecisionPostings`); `DecisionLogQueryPlanTests` proves none scans.
/// `auto_vacuum` is incremental, so the size cap gives pages back to the file system.
final class DecisionLogFile: Sendable {
    let path: String
    private let writer: Mutex<LogConnection>
    let readers: SnapshotReaderPool

    static let schema = """
        CREATE TABLE IF NOT EXISTS decisions (
            seq            INTEGER PRIMARY KEY,
            origin         INTEGER NOT NULL,
            revision       INTEGER NOT NULL,
            caller_kind    TEXT,
            caller_id      TEXT,
            user_id        TEXT,
            action         TEXT NOT NULL,
            resource_type  TEXT NOT NULL,
            resource_id    TEXT,
            allowed        INTEGER NOT NULL,
            reason         TEXT NOT NULL,
            rules          TEXT NOT NULL,
            client_address TEXT,
            as_of          INTEGER
        );
        CREATE TABLE IF NOT EXISTS decision_postings (
            hash     INTEGER NOT NULL,
            last_key INTEGER NOT NULL,
            keys     BLOB NOT NULL,
            PRIMARY KEY (hash, last_key)
        ) WITHOUT ROWID;
        """

    private static let insertPostingsQuery = StatementKey("INSERT INTO decision_postings (hash, last_key, keys) VALUES (?1, ?2, ?3)")

    private static let insertQuery = StatementKey(insertSQL)
    static let insertSQL = """
        INSERT OR IGNORE INTO decisions (seq, origin, revision, caller_kind, caller_id, user_id, action, resource_type, resource_id,
                                         allowed, reason, rules, client_address, as_of)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
        """

    /// Opens the file, creating it and its schema if needed.
    init(path: String) throws(PortcullisError) {
        self.path = path
        let connection = try PreparedConnection(path: path, busyTimeoutMilliseconds: 5_000, readOnly: false)
        // Before the first table: auto_vacuum is fixed when the file is created.
        try connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
        try connection.execute("PRAGMA journal_mode = WAL")
        try connection.execute("PRAGMA synchronous = NORMAL")
        // The postings rows go to random places: 16 MiB of pages keeps their hot parts cached.
        try connection.execute("PRAGMA cache_size = -16384")
        // A checkpoint every 16 MiB of WAL rather than 4: a hot page changed by many batches is copied back once.
        try connection.execute("PRAGMA wal_autocheckpoint = 4096")
        try connection.execute(Self.schema)
        // A log written before what-if checks existed gains their column (null for every earlier entry).
        let hasAsOf = try connection.statement("SELECT count(*) FROM pragma_table_info('decisions') WHERE name = 'as_of'")
        if try hasAsOf.step(), hasAsOf.int64(0) == 0 { try connection.execute("ALTER TABLE decisions ADD COLUMN as_of INTEGER") }
        connection.resetActive()
        try Self.replaceLookupIndexes(connection)
        writer = Mutex(LogConnection(connection))
        readers = SnapshotReaderPool(path: path, capacity: 2, busyTimeoutMilliseconds: 5_000)
    }

    /// Writes `records` in one transaction (an id already present is skipped).
    func insert(_ records: [DecisionRecord]) throws(PortcullisError) {
        try write { connection throws(PortcullisError) in
            let statement = try connection.statement(Self.insertQuery)
            var postings = DecisionPostings.Builder()
            for record in records {
                statement.reset()
                statement.bind(1, record.id.key)
                statement.bind(2, Int64(record.id.origin))
                statement.bind(3, record.revision)
                statement.bind(4, record.caller?.kind.rawValue)
                statement.bind(5, record.caller?.id)
                switch record.subject {
                case .check(let request, let decision):
                    statement.bind(6, request.userId)
                    statement.bind(7, request.action.rawValue)
                    statement.bind(8, request.resourceType.rawValue)
                    statement.bind(9, request.resourceId)
                    statement.bind(10, decision.allowed ? 1 : 0)
                    statement.bind(11, decision.reason.code)
                    statement.bind(12, decision.rulePath.encoded)
                    statement.bind(13, nil as String?)
                    if let asOf = request.asOf { statement.bind(14, asOf) } else { statement.bind(14, nil as String?) }
                case .account(let event):
                    statement.bind(6, event.userId)
                    statement.bind(7, event.action.rawValue)
                    statement.bind(8, StoredDecision.accountType)
                    statement.bind(9, event.userId)
                    statement.bind(10, event.allowed ? 1 : 0)
                    statement.bind(11, event.reason)
                    statement.bind(12, "")
                    statement.bind(13, event.clientAddress)
                    statement.bind(14, nil as String?)
                }
                try statement.stepToEnd()
                guard connection.changes == 1 else { continue }
                switch record.subject {
                case .check(let request, let decision):
                    postings.add(record.id.key, user: request.userId, resource: request.resourceId, type: request.resourceType.rawValue,
                                 allowed: decision.allowed)
                case .account(let event):
                    postings.add(record.id.key, user: event.userId, resource: event.userId, type: StoredDecision.accountType,
                                 allowed: event.allowed)
                }
            }
            try Self.insert(postings, connection)
        }
    }

    private static func insert(_ postings: consuming DecisionPostings.Builder, _ connection: PreparedConnection) throws(PortcullisError) {
        let statement = try connection.statement(insertPostingsQuery)
        try postings.forEachRow { (hash, lastKey, keys) throws(PortcullisError) in
            statement.reset()
            statement.bind(1, hash)
            statement.bind(2, lastKey)
            statement.bind(3, keys)
            try statement.stepToEnd()
        }
    }

    /// A log written before postings existed has an index per filter: its entries' postings are built, in chunks of
    /// 50,000 entries, and the indexes dropped, in one transaction (a one-off, about a second per 100,000 entries).
    /// Another process opening the file at the same time waits, then finds it done.
    private static func replaceLookupIndexes(_ connection: PreparedConnection) throws(PortcullisError) {
        func hasOldIndexes() throws(PortcullisError) -> Bool {
            let statement = try connection.statement("""
                SELECT count(*) FROM sqlite_schema
                WHERE type = 'index' AND name IN ('decisions_user', 'decisions_resource', 'decisions_type', 'decisions_allowed')
                """)
            defer { connection.resetActive() }
            return try statement.step() && statement.int64(0) > 0
        }
        guard try hasOldIndexes() else { return }
        try connection.execute("BEGIN IMMEDIATE")
        do throws(PortcullisError) {
            if try hasOldIndexes() {
                try connection.execute("DELETE FROM decision_postings")
                let entries = try connection.statement("SELECT seq, user_id, resource_id, resource_type, allowed FROM decisions ORDER BY seq")
                var postings = DecisionPostings.Builder(), count = 0
                while try entries.step() {
                    postings.add(entries.int64(0), user: entries.text(1), resource: entries.text(2), type: entries.text(3) ?? "",
                                 allowed: entries.bool(4))
                    count += 1
                    if count % 50_000 == 0 {
                        try insert(postings, connection)
                        postings = DecisionPostings.Builder()
                    }
                }
                try insert(postings, connection)
                connection.resetActive()
                try connection.execute("""
                    DROP INDEX IF EXISTS decisions_user; DROP INDEX IF EXISTS decisions_resource;
                    DROP INDEX IF EXISTS decisions_type; DROP INDEX IF EXISTS decisions_allowed
                    """)
            }
            try connection.execute("COMMIT")
        } catch {
            connection.resetActive()
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Deletes every entry whose key is below `key` (older than its time). Returns how many.
    func delete(before key: Int64) throws(PortcullisError) -> Int {
        try write { connection throws(PortcullisError) in
            try Self.deleteEntries(before: key, connection)
        }
    }

    /// Deletes the entries below `key` and the postings rows that list only such entries: for each user, resource,
    /// type and outcome of a deleted entry, its rows ending below `key` (a range of the primary key; no index by age
    /// is kept, since it would cost every row an insert). A row listing deleted entries among kept ones stays until
    /// its last entry goes: readers skip keys whose entry is gone. Returns how many entries went.
    private static func deleteEntries(before key: Int64, _ connection: PreparedConnection) throws(PortcullisError) -> Int {
        let deleting = try connection.statement("SELECT user_id, resource_id, resource_type, allowed FROM decisions WHERE seq < ?1")
        deleting.bind(1, key)
        var hashes = Set<Int64>()
        while try deleting.step() {
            DecisionPostings.forEachHash(user: deleting.text(0), resource: deleting.text(1), type: deleting.text(2) ?? "",
                                         allowed: deleting.bool(3)) { hashes.insert($0) }
        }
        deleting.reset()
        let entries = try connection.statement("DELETE FROM decisions WHERE seq < ?1")
        entries.bind(1, key)
        try entries.stepToEnd()
        let deleted = connection.changes
        let rows = try connection.statement("DELETE FROM decision_postings WHERE hash = ?1 AND last_key < ?2")
        for hash in hashes {
            rows.reset()
            rows.bind(1, hash)
            rows.bind(2, key)
            try rows.stepToEnd()
        }
        return deleted
    }

    /// Deletes the oldest entries when the pages in use exceed `bytes`: as many as bring the data to 90 % of it, in
    /// chunks of 10,000 (short write transactions), then gives free pages back. Returns how many entries went.
    ///
    /// Index pages emptied at random positions are not freed at once, but new entries fill them before new pages are
    /// taken, so the file holds at about `bytes` from sweep to sweep instead of shrinking below it.
    func cap(bytes: Int64) throws(PortcullisError) -> Int {
        let used = try usedBytes()
        guard used > bytes else { return 0 }
        let rows = try write { connection throws(PortcullisError) -> Int in
            let statement = try connection.statement("SELECT count(*) FROM decisions")
            return try statement.step() ? Int(statement.int64(0)) : 0
        }
        var remaining = rows - Int(Double(rows) * Double(bytes) * 0.9 / Double(used)), deleted = 0
        while remaining > 0 {
            let chunk = try write { connection throws(PortcullisError) -> Int in
                // The key after the chunk's last: everything below it goes.
                let boundary = try connection.statement("SELECT seq + 1 FROM decisions ORDER BY seq LIMIT 1 OFFSET ?1")
                boundary.bind(1, Int64(min(remaining, 10_000) - 1))
                guard try boundary.step() else { return 0 }
                let key = boundary.int64(0)
                boundary.reset()
                return try Self.deleteEntries(before: key, connection)
            }
            if chunk == 0 { break }
            deleted += chunk
            remaining -= chunk
        }
        if deleted > 0 { try write { connection throws(PortcullisError) in try connection.execute("PRAGMA incremental_vacuum") } }
        return deleted
    }

    /// Bytes of the pages holding data (free pages excluded).
    func usedBytes() throws(PortcullisError) -> Int64 {
        try write { connection throws(PortcullisError) in
            func pragma(_ name: String) throws(PortcullisError) -> Int64 {
                let statement = try connection.statement("PRAGMA " + name)
                return try statement.step() ? statement.int64(0) : 0
            }
            let pages = try pragma("page_count") - pragma("freelist_count")
            let size = try pragma("page_size")
            connection.resetActive()
            return pages * size
        }
    }

    /// Caps the file at `pages` pages (at least its size: 1 caps it where it is), as a full disk would: writes needing
    /// more fail. For tests.
    func limitPages(to pages: Int) throws(PortcullisError) {
        try writer.withLock { writer throws(PortcullisError) in
            let statement = try writer.connection.statement("PRAGMA max_page_count = \(pages)")
            try statement.stepToEnd()
            writer.connection.resetActive()
        }
    }

    /// Runs `body` on the writing connection inside one transaction.
    private func write<T>(_ body: (PreparedConnection) throws(PortcullisError) -> T) throws(PortcullisError) -> T {
        try writer.withLock { writer throws(PortcullisError) in
            let connection = writer.connection
            try connection.execute("BEGIN IMMEDIATE")
            do throws(PortcullisError) {
                let result = try body(connection)
                connection.resetActive()
                try connection.execute("COMMIT")
                return result
            } catch {
                connection.resetActive()
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }
}

/// The log's writing connection. `@unchecked Sendable`: it is only used inside `DecisionLogFile.writer`'s mutex.
final class LogConnection: @unchecked Sendable {
    let connection: PreparedConnection

    init(_ connection: PreparedConnection) {
        self.connection = connection
    }
}
