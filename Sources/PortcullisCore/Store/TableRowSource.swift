import PortcullisModel

/// One stored value as a database holds it, whatever the backend: what `TableRowSource` hands over.
public enum TableValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A database's tables read as rows of plain values, from one consistent snapshot: the source of a copy into another
/// backend (`portcullis migrate`). `SQLiteTableSnapshot` reads a SQLite appliance; tests wrap it to fail part-way.
public protocol TableRowSource {
    /// The tables the database holds, its engine's own (`sqlite_*`) excluded.
    func tableNames() throws -> [String]

    /// Every row of `table`, `columns` in that order, sorted by `orderedBy` (byte order for text), handed to `body` in
    /// batches of at most `batchSize` rows.
    func forEachBatch(of table: String, columns: [String], orderedBy: [String], batchSize: Int,
                      _ body: ([[TableValue]]) throws -> Void) throws
}
