import GRDB
import GRDBSQLite

/// A GRDB statement whose values are bound with SQLite's own calls, for statements run once per imported record:
/// no `StatementArguments` (an array of existentials, converted value by value) is built per execution. It still runs
/// through GRDB's `execute()`, so the database's transaction bookkeeping sees every execution.
///
/// ```swift
/// let insert = try BoundStatement(db.cachedStatement(sql: "INSERT INTO t (a, b) VALUES (?, ?)"), parameters: 2)
/// insert.reset()
/// insert.bind(1, "x")
/// insert.bind(2, 42 as Int64)
/// try insert.execute()
/// ```
struct BoundStatement {
    private let statement: Statement
    private let handle: SQLiteStatement

    /// Takes over `statement`, which has `parameters` positional parameters (`?`).
    init(_ statement: Statement, parameters: Int) {
        // GRDB runs a statement without arguments only once it holds valid bindings: give it nulls, once.
        statement.setUncheckedArguments(StatementArguments(Array(repeating: nil as (any DatabaseValueConvertible)?, count: parameters)))
        self.statement = statement
        self.handle = statement.sqliteStatement
    }

    /// Makes the statement ready for new values (a stepped statement refuses bindings until reset).
    func reset() {
        sqlite3_reset(handle)
    }

    /// Binds an integer to the 1-based parameter `index`.
    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    /// Binds a boolean as 0 or 1.
    func bind(_ index: Int32, _ value: Bool) {
        sqlite3_bind_int64(handle, index, value ? 1 : 0)
    }

    /// Binds an integer, or NULL for nil.
    func bind(_ index: Int32, _ value: Int64?) {
        guard let value else {
            sqlite3_bind_null(handle, index)
            return
        }
        sqlite3_bind_int64(handle, index, value)
    }

    /// Binds text (copied by SQLite), or NULL for nil.
    func bind(_ index: Int32, _ value: String?) {
        guard var value else {
            sqlite3_bind_null(handle, index)
            return
        }
        value.withUTF8 { bytes in
            // An empty buffer may have no address, which SQLite would bind as NULL: bind "" itself.
            if let base = bytes.baseAddress {
                _ = sqlite3_bind_text(handle, index, base, Int32(bytes.count), Self.transient)
            } else {
                _ = sqlite3_bind_text(handle, index, "", 0, Self.transient)
            }
        }
    }

    /// Runs a query with the values bound and tells whether it returns a row, leaving the statement reset; nil when
    /// SQLite reports an error, which the caller then meets again, as a thrown `DatabaseError`, by running the query
    /// through GRDB.
    func hasRow() -> Bool? {
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: return nil
        }
    }

    /// Runs the statement with the values bound.
    func execute() throws {
        try statement.execute()
    }

    /// `SQLITE_TRANSIENT`: SQLite copies the bytes before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
