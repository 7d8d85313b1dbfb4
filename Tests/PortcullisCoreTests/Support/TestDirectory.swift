import Foundation
import GRDB

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisCache

/// A real SQLite store in a fresh temporary folder, with short-hands that write through the public `DirectoryStore` API.
///
/// The folder is removed when the directory is released; `reopen()` drops the store and opens the same file again.
final class TestDirectory: DirectorySeeding {
    var seeded: any DirectoryStore { store }
    let folder: URL
    let path: String
    private(set) var store: SQLiteStore
    /// The versions the store's commits are applied to, as the composition root wires them.
    private(set) var versions: VersionClock

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-core-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        path = folder.appendingPathComponent("portcullis.sqlite").path
        (store, versions) = try Self.open(path)
    }

    /// A store whose commits a fresh `VersionClock` applies, loaded from the persisted versions.
    static func open(_ path: String, synchronous: StoreConfiguration.Synchronous = .full) throws -> (SQLiteStore, VersionClock) {
        let versions = VersionClock()
        let store = try SQLiteStore(StoreConfiguration(path: path, synchronous: synchronous), onCommit: versions.apply)
        versions.load(try store.persistedVersions())
        return (store, versions)
    }

    deinit {
        try? FileManager.default.removeItem(at: folder)
    }

    var engine: AuthorizationEngine { AuthorizationEngine(store: store) }

    /// Drops the store (closing its connections) and opens the same database file again, as a restart would.
    func reopen() throws {
        (store, versions) = try Self.open(path)
    }

    // MARK: Writes, each returning the revision it produced

    // MARK: Checks

    func check(_ userId: String, _ action: Action, _ type: ResourceType, _ id: String, explain: Bool = false) throws -> Decision {
        try engine.check(CheckRequest(userId: userId, action: action, resourceType: type, resourceId: id, explain: explain))
    }

    /// Counts of live and deleted rows per table, read straight from SQLite.
    func rowCounts() throws -> [String: Int] {
        try store.pool.read { db in
            var counts: [String: Int] = [:]
            for table in ["users", "teams", "team_members", "projects", "generations"] {
                counts[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? -1
            }
            return counts
        }
    }
}
