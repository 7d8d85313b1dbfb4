import Testing

@testable import PortcullisCore
@testable import PortcullisCache
@testable import PortcullisStore

@Suite("L1 admission: an answer is cached on its second sighting")
struct DoorkeeperTests {
    @Test("first sighting is remembered, second is admitted")
    func secondSighting() {
        let doorkeeper = Doorkeeper(slots: 1 << 12)
        #expect(!doorkeeper.admit("a"))
        #expect(doorkeeper.admit("a"))
        #expect(!doorkeeper.admit("b"))
    }

    @Test("through the engine: miss, miss (now admitted), then L1; a uniform stream stores nothing")
    func engine() async throws {
        let cached = try CachedDirectory(configuration: DecisionCache.Configuration())
        try await DecisionCacheTests.seed(cached.directory)
        #expect(try cached.check("m", .read, .generation, "g").cacheLayer == .miss)
        #expect(try cached.check("m", .read, .generation, "g").cacheLayer == .miss)
        #expect(try cached.check("m", .read, .generation, "g").cacheLayer == .l1)
        for index in 0..<50 { _ = try cached.check("m", .read, .generation, "nothing-\(index)") }
        try await cached.directory.generation("h", owner: "o", project: "p")
        for action in [Action.read, .update, .delete, .download] { _ = try cached.check("m", action, .generation, "h") }
        #expect(cached.cache.l1.statistics.entries == 1, "one-off answers must not fill L1")
        #expect(cached.cache.report().notAdmitted >= 5)
    }
}
