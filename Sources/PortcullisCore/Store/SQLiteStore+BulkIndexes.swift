import PortcullisModel
import GRDB

/// A bulk write into empty tables builds their secondary indexes once, at the end, instead of entry by entry.
///
/// An import inserts rows in file order, which is random order for every index but the primary key: each entry is a
/// descent to a random leaf, and the leaves end up about two-thirds full. `CREATE INDEX` sorts the rows instead and
/// writes full pages. So before a bulk write, the non-unique indexes of a directory table that holds no rows (and of the
/// change log while it is small) are dropped, and after it they are created again from their own SQL, in the same
/// transaction: a reader never sees the table without its index, a failed import rolls the drop back, and a crash
/// leaves the database as it was. Unique indexes (primary keys, live emails) stay: they refuse duplicates line by line.
extension SQLiteStore {
    /// An index dropped for a bulk write, with the statement that makes it again.
    struct DeferredIndex {
        var name: String
        var sql: String
    }

    /// The tables whose secondary indexes a bulk write may build at its end.
    static let bulkTables = ["users", "teams", "team_members", "projects", "generations", "changes"]

    /// The change log's indexes are rebuilt when it holds fewer changes than this (sorting them again costs
    /// milliseconds); a directory table's only when it is empty, since an import is often far smaller than the table
    /// it adds to.
    static let smallChangeLog = 10_000

    /// Drops the non-unique indexes of the empty directory tables, and of the change log when it is small; returns them.
    static func deferIndexes(_ db: Database) throws -> [DeferredIndex] {
        var deferred: [DeferredIndex] = []
        for table in bulkTables {
            let limit = table == "changes" ? smallChangeLog : 1
            let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM \(table) LIMIT \(limit))") ?? limit
            guard rows < limit else { continue }
            // Indexes SQLite made for constraints have no SQL; `CREATE UNIQUE INDEX` ones enforce a rule: both stay.
            let indexes = try Row.fetchAll(db, sql: """
                SELECT name, sql FROM sqlite_master
                WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL AND upper(sql) NOT LIKE 'CREATE UNIQUE %'
                ORDER BY name
                """, arguments: [table])
            for index in indexes {
                let name: String = index["name"]
                deferred.append(DeferredIndex(name: name, sql: index["sql"]))
                try db.execute(sql: "DROP INDEX \(name.quotedDatabaseIdentifier)")
            }
        }
        return deferred
    }

    /// Creates the dropped indexes again, exactly as they were defined.
    static func restoreIndexes(_ db: Database, _ deferred: [DeferredIndex]) throws {
        for index in deferred { try db.execute(sql: index.sql) }
    }
}
