import PortcullisModel
import PortcullisStore
import Foundation
import GRDB

/// A read-only look at a Portcullis database file: integrity, migrations and revision, without applying migrations
/// or writing anything (the live store's `SQLiteStore.init` migrates; this must not).
public struct DatabaseInspection: Sendable {
    /// `PRAGMA integrity_check`'s rows: `["ok"]` for a sound file.
    public var integrity: [String]
    /// Migrations of `schema/` recorded as applied.
    public var applied: [String]
    /// Migrations of `schema/` not yet applied (the next `serve` applies them).
    public var pending: [String]
    /// Applied migrations this binary does not know: the file was written by a newer Portcullis.
    public var unknown: [String]
    /// The data revision, nil when the file has no `revision` table.
    public var revision: Int64?

    /// Whether the integrity check found nothing wrong.
    public var isIntact: Bool { integrity == ["ok"] }
    /// Looks like a Portcullis database: GRDB's migration table and the revision table are there.
    public var isPortcullisDatabase: Bool { revision != nil && !applied.isEmpty }

    /// Opens `path` read-only and inspects it.
    /// - Parameter quick: `PRAGMA quick_check` instead of the full `integrity_check` (skips index consistency).
    /// - Throws: `not_found` when the file does not exist; `store_unavailable` when SQLite cannot read it.
    public static func inspect(path: String, quick: Bool = false) throws -> DatabaseInspection {
        guard FileManager.default.fileExists(atPath: path) else {
            throw PortcullisError(.notFound, "no database at \(path)")
        }
        var configuration = Configuration()
        configuration.readonly = true
        // Even a read-only connection creates `-wal`/`-shm` when the server is not running; root's must not lock the
        // service out of them.
        defer {
            DataDirectoryOwnership.adopt(paths: [path + "-wal", path + "-shm"], dataDirectory: (path as NSString).deletingLastPathComponent)
        }
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                let integrity = try String.fetchAll(db, sql: quick ? "PRAGMA quick_check" : "PRAGMA integrity_check")
                let applied = try db.tableExists("grdb_migrations")
                    ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") : []
                let known = Migrations.all.map(\.name)
                let revision = try db.tableExists("revision")
                    ? try Int64.fetchOne(db, sql: "SELECT value FROM revision WHERE id = 1") ?? 0 : nil
                return DatabaseInspection(
                    integrity: integrity, applied: applied, pending: known.filter { !applied.contains($0) },
                    unknown: applied.filter { !known.contains($0) }, revision: revision)
            }
        } catch let error as PortcullisError {
            throw error
        } catch {
            throw PortcullisError(.storeUnavailable, "cannot read \(path): \(error)")
        }
    }
}
