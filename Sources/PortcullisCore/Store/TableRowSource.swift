import PortcullisModel

/// One stored value as a database holds it, whatever the backend: what `TableRowSource` hands over.
public enum TableValue: Sendable, Equatable {
    /// SQL NULL.
    case null
    /// An integer: revisions, Unix times, 0/1 flags.
    case integer(Int64)
    /// A floating-point number (no Portcullis column holds one; kept so a row is never misread).
    case real(Double)
    /// Text: ids, names, RFC 3339 timestamps, JSON.
    case text(String)
    /// Bytes: key and token hashes.
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
