import Foundation
import GRDB
import PortcullisModel

/// A SQLite appliance's database read as table rows (`TableRowSource`), from one read transaction: every table at one
/// revision, even while a server writes (WAL), and nothing written, not even a pending migration.
///
/// Rows are handed over as stored, but for one thing: a `changes` row a bulk write left without `after`
/// (schema/0008_change_revisions.sql) gets the `after` a reader of the log derives (`SQLiteStore.derivedAfter`), since
/// another backend stores every change's `after` and would read the row back as "no after".
///
/// ```swift
/// let summary = try SQLiteTableSnapshot.read(path: "/var/lib/portcullis/portcullis.sqlite") { snapshot in
///     try SQLiteToPostgresCopy.run(from: snapshot, into: store)
/// }
/// ```
public struct SQLiteTableSnapshot: TableRowSource {
    private let db: Database

    /// Opens the database at `path` read-only and runs `body` inside one read transaction.
    /// - Throws: `not_found` when there is no file at `path`; `store_unavailable` when it cannot be opened or read;
    ///   `conflict` when it is not a Portcullis database at this build's schema (it has migrations this binary does
    ///   not know, or lacks some: a server started once with it applies them).
    public static func read<T>(path: String, _ body: (SQLiteTableSnapshot) throws -> T) throws -> T {
        guard FileManager.default.fileExists(atPath: path) else {
            throw PortcullisError(.notFound, "no database at \(path)")
        }
        var configuration = Configuration()
        configuration.readonly = true
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw PortcullisError(.storeUnavailable, "cannot open database \(path): \(error)")
        }
        defer { try? queue.close() }
        do {
            return try queue.read { db in
                let applied = try db.tableExists("grdb_migrations")
                    ? Set(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")) : []
                let known = Migrations.all.map(\.name)
                guard try db.tableExists("revision"), !applied.isEmpty else {
                    throw PortcullisError(.conflict, "\(path) is not a Portcullis database")
                }
                let unknown = applied.subtracting(known).sorted()
                guard unknown.isEmpty else {
                    throw PortcullisError(.conflict, "\(path) was written by a newer Portcullis (migrations \(unknown.joined(separator: ", ")))")
                }
                let pending = known.filter { !applied.contains($0) }
                guard pending.isEmpty else {
                    throw PortcullisError(.conflict, "\(path) lacks migrations \(pending.joined(separator: ", ")): start this Portcullis "
                        + "once on the data directory to apply them, then migrate")
                }
                return try body(SQLiteTableSnapshot(db: db))
            }
        } catch let error as PortcullisError {
            throw error
        } catch {
            throw PortcullisError(.storeUnavailable, "cannot read database \(path): \(error)")
        }
    }

    public func tableNames() throws -> [String] {
        try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
    }

    public func forEachBatch(of table: String, columns: [String], orderedBy: [String], batchSize: Int,
                             _ body: ([[TableValue]]) throws -> Void) throws {
        // Names come from the copier's fixed list of the schema's tables, never from input.
        let sql = "SELECT \(columns.map(quoted).joined(separator: ", ")) FROM \(quoted(table))"
            + (orderedBy.isEmpty ? "" : " ORDER BY \(orderedBy.map(quoted).joined(separator: ", "))")
        let rows = try Row.fetchCursor(db, sql: sql)
        var batch: [[TableValue]] = []
        batch.reserveCapacity(batchSize)
        let derivesAfter = table == "changes" ? ChangeColumns(columns) : nil
        while let row = try rows.next() {
            var values: [TableValue] = Array(row.databaseValues.lazy.map(Self.value))
            if let derivesAfter { try derivesAfter.fillAfter(&values, db) }
            batch.append(values)
            if batch.count == batchSize {
                try body(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try body(batch) }
    }

    private func quoted(_ name: String) -> String { "\"" + name + "\"" }

    private static func value(_ value: DatabaseValue) -> TableValue {
        switch value.storage {
        case .null: .null
        case .int64(let integer): .integer(integer)
        case .double(let real): .real(real)
        case .string(let text): .text(text)
        case .blob(let data): .blob([UInt8](data))
        }
    }
}

/// Where a `changes` row's columns are, to fill in its derived `after`.
private struct ChangeColumns {
    let revision: Int, seq: Int, entity: Int, entityId: Int, op: Int, after: Int

    /// Nil unless every column the derivation reads was asked for.
    init?(_ columns: [String]) {
        guard let revision = columns.firstIndex(of: "revision"), let seq = columns.firstIndex(of: "seq"),
              let entity = columns.firstIndex(of: "entity"), let entityId = columns.firstIndex(of: "entity_id"),
              let op = columns.firstIndex(of: "op"), let after = columns.firstIndex(of: "after") else { return nil }
        (self.revision, self.seq, self.entity, self.entityId, self.op, self.after) = (revision, seq, entity, entityId, op, after)
    }

    func fillAfter(_ values: inout [TableValue], _ db: Database) throws {
        guard values[after] == .null, case .integer(let revision) = values[revision], case .integer(let seq) = values[seq],
              case .text(let entityName) = values[entity], let entity = ChangeEntity(rawValue: entityName),
              case .text(let entityId) = values[entityId], case .text(let opName) = values[op], let op = ChangeOp(rawValue: opName)
        else { return }
        let change = Change(revision: revision, seq: seq, at: "", actor: ChangeActor(.system, id: nil), requestId: nil, entity: entity,
                            entityId: entityId, op: op, before: nil, after: nil)
        guard SQLiteStore.isDerived(change), let derived = try SQLiteStore.derivedAfter(db, change) else { return }
        values[after] = .text(derived)
    }
}
