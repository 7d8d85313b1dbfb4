import GRDBSQLite

/// A raw SQLite connection with prepared statements, for the authorization hot path.
///
/// GRDB serves everything else; here a check must cost its indexed lookups (about 1–6 µs) rather than a
/// `DatabasePool.read {}` hand-off (20–45 µs), so reads step prepared statements on a connection the caller
/// holds exclusively (see `SnapshotReaderPool`).
final class SQLiteConnection {
    private let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]
    /// Statements stepped since the last `resetActive()`. A statement that returned a row but was not stepped to its
    /// end keeps the connection's read transaction (and so its WAL snapshot) open past `COMMIT`: the next "fresh"
    /// transaction would still see the old snapshot. So every one is reset before a transaction ends and before the
    /// connection goes back to the pool.
    private var active: [SQLiteStatement] = []

    init(path: String, busyTimeoutMilliseconds: Int32, readOnly: Bool = true) throws(PortcullisError) {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            if let handle { sqlite3_close_v2(handle) }
            throw PortcullisError(.unavailable, code: "store_unavailable", "cannot open database \(path): SQLite error \(status)")
        }
        self.handle = handle
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        if readOnly { try execute("PRAGMA query_only = 1") }
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    func execute(_ sql: String) throws(PortcullisError) {
        let status = sqlite3_exec(handle, sql, nil, nil, nil)
        guard status == SQLITE_OK else { throw error(status, sql) }
    }

    /// The prepared statement for `sql`, compiled once per connection and reset before reuse.
    func statement(_ sql: String) throws(PortcullisError) -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            active.append(cached)
            return cached
        }
        var pointer: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard status == SQLITE_OK, let pointer else { throw error(status, sql) }
        let statement = SQLiteStatement(pointer, connection: self)
        statements[sql] = statement
        active.append(statement)
        return statement
    }

    /// Resets every statement used since the last call, releasing the snapshot they hold.
    func resetActive() {
        for statement in active { statement.reset() }
        active.removeAll(keepingCapacity: true)
    }

    func error(_ status: Int32, _ sql: String) -> PortcullisError {
        let message = String(cString: sqlite3_errmsg(handle))
        return PortcullisError(.unavailable, code: "store_error", "SQLite error \(status) (\(message)) in: \(sql.prefix(80))")
    }
}

/// A compiled statement. Text is bound with SQLITE_TRANSIENT, so SQLite owns its copy.
final class SQLiteStatement {
    private let pointer: OpaquePointer
    private unowned let connection: SQLiteConnection
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ pointer: OpaquePointer, connection: SQLiteConnection) {
        self.pointer = pointer
        self.connection = connection
    }

    deinit { sqlite3_finalize(pointer) }

    func reset() {
        sqlite3_reset(pointer)
        sqlite3_clear_bindings(pointer)
    }

    func bind(_ index: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buffer in
            _ = sqlite3_bind_text(pointer, index, buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                  Int32(buffer.count), Self.transient)
        }
    }

    func bind(_ index: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            _ = sqlite3_bind_blob(pointer, index, buffer.baseAddress, Int32(buffer.count), Self.transient)
        }
    }

    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(pointer, index, value) }

    func bind(_ index: Int32, _ text: String?) {
        if let text { bind(index, text) } else { sqlite3_bind_null(pointer, index) }
    }

    /// Advances to the next row; false when done.
    func step() throws(PortcullisError) -> Bool {
        switch sqlite3_step(pointer) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let status: throw connection.error(status, String(cString: sqlite3_sql(pointer)))
        }
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(pointer, column) == SQLITE_NULL }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(pointer, column) }

    func bool(_ column: Int32) -> Bool { sqlite3_column_int64(pointer, column) != 0 }

    func text(_ column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(pointer, column) else { return nil }
        let count = Int(sqlite3_column_bytes(pointer, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }
}
