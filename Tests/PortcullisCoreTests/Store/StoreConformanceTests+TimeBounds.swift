import Testing

@testable import PortcullisCore
@testable import PortcullisStore

extension StoreConformanceTests {
    @Test("the time-bound sweep records activate then expire once each, with new revisions that move the member's version",
          arguments: backends)
    func timeBoundSweep(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        // Bounds ahead of the store's creation: the sweep's watermark starts at the time the schema was made.
        let t = WallClock.system.milliseconds() + 3_600_000
        for user in ["u0", "u1"] { try await fixture.user(user) }
        try await fixture.team("t1", owner: "u0")
        try await fixture.member("u1", of: "t1", as: .editor, startsAt: t, expiresAt: t + 1000)
        let before = try await store.changes(ChangeQuery(after: ChangePosition(revision: 0), limit: 1000)).items.count

        #expect(try await store.recordPassedBounds(until: t - 1) == nil, "nothing passed yet: no write")
        let activated = try #require(try await fixture.expectCommit([.user("u1")]) { try await store.recordPassedBounds(until: t) })
        #expect(try await store.recordPassedBounds(until: t + 999) == nil, "each bound once")
        let expired = try #require(try await fixture.expectCommit([.user("u1")]) { try await store.recordPassedBounds(until: t + 5000) })
        let changes = try await store.changes(ChangeQuery(after: ChangePosition(revision: 0), limit: 1000)).items.dropFirst(before)
        #expect(changes.map(\.op) == [.activate, .expire])
        #expect(changes.map(\.revision) == [activated, expired])
        #expect(changes.allSatisfy { $0.entity == .member && $0.entityId == "t1/u1" && $0.before == $0.after })

        // Both bounds of a membership passed between two sweeps: one sweep records both, the start first.
        try await fixture.member("u1", of: "t1", as: .viewer, startsAt: t + 6000, expiresAt: t + 7000)
        let both = try #require(try await store.recordPassedBounds(until: t + 60_000))
        #expect(try await store.changes(ChangeQuery(after: ChangePosition(revision: both - 1), limit: 10)).items.map(\.op) == [.activate, .expire])
    }
}
