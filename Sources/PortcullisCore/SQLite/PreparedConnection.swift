import PortcullisModel
import GRDBSQLite
import Synchronization

/// A raw SQLite connection with prepared statements, for the authorization hot path.
///
/// GRDB serves everything else; here a check must cost its indexed lookups (about 1–6 µs) rather than a
/// `DatabasePool.read {}` hand-off (20–45 µs), so reads step prepared statements on a connection the caller
/// holds exclusively (see `SnapshotReaderPool`).
package final class PreparedConnection {
    private let handle: OpaquePointer
    /// Prepared statements by SQL, at most `registry.statementCacheCapacity`; the least recently used is finalized first.
    private var statements: [String: PreparedStatement] = [:]
    /// Prepared statements of `StatementKey`s, at each key's index; never evicted (there are as many as keys in the program).
    private var keyed: [PreparedStatement?] = []
    private var uses: UInt64 = 0
    package let registry: QueryRegistry
    /// Statements stepped since the last `resetActive()`. A statement that returned a row but was not stepped to its
    /// end keeps the connection's read transaction (and so its WAL snapshot) open past `COMMIT`: the next "fresh"
    /// transaction would still see the old snapshot. So every one is reset before a transaction ends and before the
    /// connection goes back to the pool.
    private var active: [PreparedStatement] = []

    package init(path: String, busyTimeoutMilliseconds: Int32, readOnly: Bool = true, registry: QueryRegistry = QueryRegistry()) throws(PortcullisError) {
        self.registry = registry
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            if let handle { sqlite3_close_v2(handle) }
            throw PortcullisError(.storeUnavailable, "cannot open database \(path): SQLite error \(status)")
        }
        self.handle = handle
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        if readOnly {
            try execute("PRAGMA query_only = 1")
            // Random lookups over a large database: reading pages through a shared memory map avoids a pread and a
            // copy into each connection's own small page cache.
            try execute("PRAGMA mmap_size = 1073741824")
        }
    }

    deinit {
        registry.cachedStatements.subtract(statements.count + keyed.lazy.filter { $0 != nil }.count, ordering: .relaxed)
        statements.removeAll()
        keyed.removeAll()
        sqlite3_close_v2(handle)
    }

    package func execute(_ sql: String) throws(PortcullisError) {
        let status = sqlite3_exec(handle, sql, nil, nil, nil)
        guard status == SQLITE_OK else { throw error(status, sql) }
    }

    /// The prepared statement for `sql`, compiled once per connection and reset before reuse.
    package func statement(_ sql: String) throws(PortcullisError) -> PreparedStatement {
        uses &+= 1
        if let cached = statements[sql] {
            registry.cacheHits.add(1, ordering: .relaxed)
            cached.reset()
            cached.lastUse = uses
            active.append(cached)
            return cached
        }
        if statements.count >= registry.statementCacheCapacity { evictLeastRecentlyUsed() }
        let statement = try prepare(sql)
        statement.lastUse = uses
        statements[sql] = statement
        return statement
    }

    /// The prepared statement for `key`: like `statement(_:)`, but found by the key's index instead of by hashing and
    /// comparing its SQL, which for the decision's join is most of a thousand bytes per lookup.
    package func statement(_ key: StatementKey) throws(PortcullisError) -> PreparedStatement {
        if key.index < keyed.count, let cached = keyed[key.index] {
            registry.cacheHits.add(1, ordering: .relaxed)
            cached.reset()
            active.append(cached)
            return cached
        }
        let statement = try prepare(key.sql)
        if key.index >= keyed.count { keyed.append(contentsOf: repeatElement(nil, count: key.index + 1 - keyed.count)) }
        keyed[key.index] = statement
        return statement
    }

    /// Compiles `sql` for repeated use and counts the cache miss; the caller keeps the statement.
    private func prepare(_ sql: String) throws(PortcullisError) -> PreparedStatement {
        registry.cacheMisses.add(1, ordering: .relaxed)
        var pointer: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard status == SQLITE_OK, let pointer else { throw error(status, sql) }
        let statement = PreparedStatement(pointer, connection: self, entry: registry.entry(for: sql))
        registry.cachedStatements.add(1, ordering: .relaxed)
        active.append(statement)
        return statement
    }

    /// A linear search, paid only when a new statement arrives at a full cache (never on the fixed hot set).
    /// A statement still in `active` is finalized when `resetActive()` lets go of it.
    private func evictLeastRecentlyUsed() {
        guard let oldest = statements.min(by: { $0.value.lastUse < $1.value.lastUse }) else { return }
        statements[oldest.key] = nil
        registry.cachedStatements.subtract(1, ordering: .relaxed)
        registry.cacheEvictions.add(1, ordering: .relaxed)
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE on this connection.
    package var changes: Int { Int(sqlite3_changes(handle)) }

    /// Runs `EXPLAIN QUERY PLAN` on `sql` with no parameters bound: the `detail` column of each row.
    package func queryPlan(_ sql: String) throws(PortcullisError) -> [String] {
        var pointer: OpaquePointer?
        let status = sqlite3_prepare_v2(handle, "EXPLAIN QUERY PLAN " + sql, -1, &pointer, nil)
        guard status == SQLITE_OK, let pointer else { throw error(status, sql) }
        defer { sqlite3_finalize(pointer) }
        var details: [String] = []
        while sqlite3_step(pointer) == SQLITE_ROW {
            if let text = sqlite3_column_text(pointer, 3) { details.append(String(cString: text)) }
        }
        return details
    }

    /// Resets every statement used since the last call, releasing the snapshot they hold.
    package func resetActive() {
        for statement in active { statement.reset() }
        active.removeAll(keepingCapacity: true)
    }

    package func error(_ status: Int32, _ sql: String) -> PortcullisError {
        let message = String(cString: sqlite3_errmsg(handle))
        return PortcullisError(.storeError, "SQLite error \(status) (\(message)) in: \(sql.prefix(80))")
    }
}

/// SQL that a hot path runs on every request, named once: each key gets the next small index when created, and every
/// connection keeps the key's prepared statement at that index. Create keys as `static let`s, never per call.
package final class StatementKey: Sendable {
    package let sql: String
    let index: Int
    private static let count = Atomic<Int>(0)

    package init(_ sql: String) {
        self.sql = sql
        index = Self.count.add(1, ordering: .relaxed).oldValue
    }
}

/// A compiled statement. Text is bound with SQLITE_TRANSIENT, so SQLite owns its copy.
///
/// Each execution is timed for the query registry: the time spent inside `sqlite3_step` is summed across its rows
/// and reported once, when the statement is reset for its next use or at the end of the transaction.
package final class PreparedStatement {
    private let pointer: OpaquePointer
    private unowned let connection: PreparedConnection
    private let entry: QueryRegistry.Entry
    private var executionNanoseconds: Int64 = 0
    private var executing = false
    var lastUse: UInt64 = 0
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ pointer: OpaquePointer, connection: PreparedConnection, entry: QueryRegistry.Entry) {
        self.pointer = pointer
        self.connection = connection
        self.entry = entry
    }

    deinit { sqlite3_finalize(pointer) }

    package func reset() {
        if executing {
            entry.record(nanoseconds: executionNanoseconds)
            executing = false
            executionNanoseconds = 0
        }
        sqlite3_reset(pointer)
        sqlite3_clear_bindings(pointer)
    }

    package func bind(_ index: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buffer in
            _ = sqlite3_bind_text(pointer, index, buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                  Int32(buffer.count), Self.transient)
        }
    }

    package func bind(_ index: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            _ = sqlite3_bind_blob(pointer, index, buffer.baseAddress, Int32(buffer.count), Self.transient)
        }
    }

    package func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(pointer, index, value) }

    package func bind(_ index: Int32, _ text: String?) {
        if let text { bind(index, text) } else { sqlite3_bind_null(pointer, index) }
    }

    /// Advances to the next row; false when done.
    package func step() throws(PortcullisError) -> Bool {
        let start = monotonicNanoseconds()
        let status = sqlite3_step(pointer)
        executionNanoseconds += monotonicNanoseconds() - start
        executing = true
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let status: throw connection.error(status, String(cString: sqlite3_sql(pointer)))
        }
    }

    package func isNull(_ column: Int32) -> Bool { sqlite3_column_type(pointer, column) == SQLITE_NULL }

    package func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(pointer, column) }

    package func bool(_ column: Int32) -> Bool { sqlite3_column_int64(pointer, column) != 0 }

    /// The bytes of a blob (or text) column, valid only inside `body`; empty for null.
    package func withBytes<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        let bytes = sqlite3_column_blob(pointer, column)
        return body(UnsafeRawBufferPointer(start: bytes, count: bytes == nil ? 0 : Int(sqlite3_column_bytes(pointer, column))))
    }

    package func text(_ column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(pointer, column) else { return nil }
        let count = Int(sqlite3_column_bytes(pointer, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }
}
