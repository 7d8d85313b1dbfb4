import Foundation

@testable import PortcullisCore
@testable import PortcullisCache
@testable import PortcullisStore

/// A `TestDirectory` with the full cache hierarchy over files in its folder, and the means to make each layer answer:
/// `onlyInL2()` and `onlyInL3()` empty the layers above; `restart()` reopens store and cache as a new process would.
final class CachedDirectory {
    let directory: TestDirectory
    private(set) var cache: DecisionCache
    let clock: ManualClock

    /// Answers are cached the first time they are computed, so each test controls exactly which layer holds what;
    /// `DoorkeeperTests` covers second-sighting admission.
    static var firstSighting: DecisionCache.Configuration {
        var configuration = DecisionCache.Configuration()
        configuration.admitOnFirstSighting = true
        return configuration
    }

    init(configuration: DecisionCache.Configuration = CachedDirectory.firstSighting) throws {
        directory = try TestDirectory()
        clock = ManualClock(milliseconds: WallClock.system.milliseconds())
        cache = try Self.makeCache(directory, configuration: configuration, clock: clock)
    }

    static func makeCache(_ directory: TestDirectory, configuration: DecisionCache.Configuration, clock: ManualClock) throws -> DecisionCache {
        try DecisionCache(configuration: configuration, versions: directory.versions, file: file(beside: directory), clock: clock.clock)
    }

    /// The cache file in `directory`'s folder, for its database.
    static func file(beside directory: TestDirectory) throws -> DecisionCache.File {
        .init(path: directory.folder.appendingPathComponent("decision-cache.sqlite").path, database: try directory.store.databaseIdentity())
    }

    var engine: AuthorizationEngine { AuthorizationEngine(store: directory.store, cache: cache) }

    func check(_ userId: String, _ action: Action, _ type: ResourceType, _ id: String) throws -> Decision {
        try engine.check(CheckRequest(userId: userId, action: action, resourceType: type, resourceId: id))
    }

    /// Commits queued L2/L3 writes (what `CacheWriter` does in the background).
    func flush() throws {
        try cache.flush()
    }

    /// Leaves the entries in L2 and L3 only.
    func onlyInL2() throws {
        try flush()
        cache.l1.removeAll()
    }

    /// Leaves the entries in L3 only (a new cache instance empties L2, as a start does).
    func onlyInL3() throws {
        try flush()
        cache = try Self.makeCache(directory, configuration: cache.configuration, clock: clock)
    }

    /// A new store and cache over the same files: versions come back from the database, L2 is emptied, L3 survives.
    func restart() throws {
        try flush()
        try directory.reopen()
        cache = try Self.makeCache(directory, configuration: cache.configuration, clock: clock)
    }
}
