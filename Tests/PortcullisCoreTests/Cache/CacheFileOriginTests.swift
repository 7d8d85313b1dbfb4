import Foundation
import GRDB
import Testing

@testable import PortcullisCore
@testable import PortcullisCache
@testable import PortcullisStore

/// The decision cache's file keeps entries only for the database, and the history, they were computed from
/// (docs/caching.md, "Whose entries L3 keeps"). Each test builds a second history that moves the same versions to the
/// same revisions as the first but answers differently, so an entry kept across it would be served, and wrong.
@Suite("Decision cache file: entries from another database or an abandoned history are never served")
struct CacheFileOriginTests {
    /// Writes through any store, returning revisions like `TestDirectory`'s.
    struct Seeding: DirectorySeeding {
        let seeded: any DirectoryStore
    }

    static let question = CheckRequest(userId: "m", action: .read, resourceType: .generation, resourceId: "g")

    /// m's allow for g, computed and reused (so in L1, L2 and L3), then written to the file.
    static func cacheAllow(_ cached: CachedDirectory) throws {
        #expect(try cached.check("m", .read, .generation, "g").allowed)
        #expect(try cached.check("m", .read, .generation, "g").cacheLayer == .l1)
        try cached.flush()
    }

    @Test("opened beside another database, the file drops every entry, even one whose versions match there")
    func anotherDatabase() async throws {
        let cached = try CachedDirectory()
        try await DecisionCacheTests.seed(cached.directory)
        try Self.cacheAllow(cached)

        let other = try TestDirectory()
        try await DecisionCacheTests.seed(other, gInPrivateProject: true)
        let file = DecisionCache.File(path: try CachedDirectory.file(beside: cached.directory).path, database: try other.store.databaseIdentity())
        let cache = try DecisionCache(configuration: CachedDirectory.firstSighting, versions: other.versions, file: file)
        let answer = try AuthorizationEngine(store: other.store, cache: cache).check(Self.question)
        #expect(!answer.allowed && answer.reason.code == "no_grant" && answer.cacheLayer == .miss)
    }

    @Test("opened beside the same database rolled back to an earlier revision, the file drops every entry")
    func rolledBack() async throws {
        let cached = try CachedDirectory()
        try await DecisionCacheTests.seed(cached.directory)
        let snapshot = cached.directory.folder.appendingPathComponent("revision-7.sqlite").path
        try await cached.directory.store.pool.writeWithoutTransaction { try $0.execute(sql: "VACUUM INTO ?", arguments: [snapshot]) }
        // The first history goes on: n joins t (revisions 8 and 9), and n's allow is cached at revision 9.
        try await cached.directory.user("n")
        try await cached.directory.member("n", of: "t", as: .viewer)
        #expect(try cached.check("n", .read, .generation, "g").allowed)
        #expect(try cached.check("n", .read, .generation, "g").cacheLayer == .l1)
        try cached.flush()

        // The copy at revision 7 (the same database identity) is started on, and takes another way: n joins t
        // inactive, moving the same versions to the same revisions 8 and 9.
        let (store, versions) = try TestDirectory.open(snapshot)
        #expect(try store.databaseIdentity() == cached.directory.store.databaseIdentity())
        let cache = try DecisionCache(configuration: CachedDirectory.firstSighting, versions: versions,
                                      file: try CachedDirectory.file(beside: cached.directory))
        try await Seeding(seeded: store).user("n")
        try await Seeding(seeded: store).member("n", of: "t", as: .viewer, active: false)
        let answer = try AuthorizationEngine(store: store, cache: cache)
            .check(CheckRequest(userId: "n", action: .read, resourceType: .generation, resourceId: "g"))
        #expect(!answer.allowed && answer.cacheLayer == .miss)
    }

    @Test("a file that records no database (written before it did) drops every entry; one that does keeps them")
    func unrecordedOrigin() async throws {
        let cached = try CachedDirectory()
        try await DecisionCacheTests.seed(cached.directory)
        try Self.cacheAllow(cached)
        let file = try CachedDirectory.file(beside: cached.directory)
        let kept = try DecisionCache(configuration: CachedDirectory.firstSighting, versions: cached.directory.versions, file: file)
        #expect(try AuthorizationEngine(store: cached.directory.store, cache: kept).check(Self.question).cacheLayer == .l3)

        try await DatabaseQueue(path: file.path).write { try $0.execute(sql: "DELETE FROM cache_origin") }
        let dropped = try DecisionCache(configuration: CachedDirectory.firstSighting, versions: cached.directory.versions, file: file)
        let answer = try AuthorizationEngine(store: cached.directory.store, cache: dropped).check(Self.question)
        #expect(answer.allowed && answer.cacheLayer == .miss)
    }
}
