import PortcullisModel
import PostgresNIO

/// Reads one row's columns in order: `var columns = PostgresColumns(row); let id: String = try columns.next()`.
struct PostgresColumns {
    private let row: PostgresRandomAccessRow
    private let binary: Bool
    private var index = 0

    /// - Parameter binary: read every column as binary whatever the row's description says (the results of
    ///   PostgresNIO's `PreparedQuery`, which are binary but described as text).
    init(_ row: PostgresRow, binary: Bool = false) {
        self.row = row.makeRandomAccess()
        self.binary = binary
    }

    /// Passes over `count` columns (read by another decoder of the same row).
    mutating func skip(_ count: Int) {
        index += count
    }

    /// The next column, decoded as `T` (an `Optional` for a nullable column).
    /// - Throws: `store_error` when the column does not decode as `T` (a schema this build does not know).
    mutating func next<T: PostgresDecodable>(_ type: T.Type = T.self) throws(PortcullisError) -> T {
        defer { index += 1 }
        do {
            var cell = row[index]
            if binary { cell.format = .binary }
            return try cell.decode(T.self)
        } catch {
            throw PortcullisError(.storeError, "column \(index) of a PostgreSQL row does not decode as \(T.self): \(error)")
        }
    }
}

/// Bindings built in order: `PostgresBindings.of("u1", 42 as Int64, nil as String?)`.
extension PostgresBindings {
    /// Bindings of `values`, in order, as `$1`, `$2`, …
    static func of(_ values: (any PostgresBindable)...) -> PostgresBindings {
        var binds = PostgresBindings(capacity: values.count)
        for value in values { value.bind(into: &binds) }
        return binds
    }
}

/// A value that can be bound to a statement's parameter (nil binds NULL).
protocol PostgresBindable {
    func bind(into binds: inout PostgresBindings)
}

extension String: PostgresBindable {
    func bind(into binds: inout PostgresBindings) { binds.append(self) }
}

extension Int64: PostgresBindable {
    func bind(into binds: inout PostgresBindings) { binds.append(self) }
}

extension Int: PostgresBindable {
    func bind(into binds: inout PostgresBindings) { binds.append(Int64(self)) }
}

extension Bool: PostgresBindable {
    func bind(into binds: inout PostgresBindings) { binds.append(self) }
}

extension Optional: PostgresBindable where Wrapped: PostgresBindable {
    func bind(into binds: inout PostgresBindings) {
        switch self {
        case .some(let value): value.bind(into: &binds)
        case .none: binds.appendNull()
        }
    }
}

extension ByteBuffer: PostgresBindable {
    func bind(into binds: inout PostgresBindings) { binds.append(self) }
}
