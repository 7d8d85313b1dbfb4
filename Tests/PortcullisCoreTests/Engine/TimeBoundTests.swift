import Foundation
import Testing

@testable import PortcullisCore
@testable import PortcullisCache
@testable import PortcullisStore

/// SPEC 8.3 through the cached engine on a real SQLite store: a membership grants exactly inside
/// `[starts_at, expires_at)`, to the millisecond, whichever layer holds an answer computed before a bound, after a
/// restart, for checks, batches and listings; the sweep records each bound once; `as_of` and `consistency`.
@Suite("Time-bound memberships: exact at every bound, in every layer")
struct TimeBoundTests {
    static let t: Int64 = 1_800_000_000_000

    /// u1 is an editor of t1 for `[start, end)`; p1 is a team project of t1 with generation g1 (owned by u0).
    final class Fixture: @unchecked Sendable {
        let directory: TestDirectory
        let time = ManualClock(milliseconds: TimeBoundTests.t - 10_000)
        private(set) var cache: DecisionCache
        let cachePath: String

        init(startsAt: Int64? = nil, expiresAt: Int64? = nil) async throws {
            directory = try TestDirectory()
            cachePath = directory.folder.appendingPathComponent("decision-cache.sqlite").path
            var configuration = DecisionCache.Configuration()
            configuration.admitOnFirstSighting = true
            cache = try DecisionCache(configuration: configuration, versions: directory.versions,
                                      file: .init(path: cachePath, database: try directory.store.databaseIdentity()), clock: time.clock)
            try await directory.user("u0")
            try await directory.user("u1")
            try await directory.team("t1", owner: "u0")
            try await directory.member("u1", of: "t1", as: .editor, startsAt: startsAt, expiresAt: expiresAt)
            try await directory.project("p1", owner: "u0", team: "t1", visibility: .team)
            try await directory.generation("g1", owner: "u0", project: "p1")
        }

        var engine: AuthorizationEngine { AuthorizationEngine(store: directory.store, cache: cache, clock: time.clock) }

        func at(_ instant: Int64) { time.advance(milliseconds: instant - time.milliseconds) }

        func check(_ type: ResourceType = .generation, _ id: String = "g1", _ action: Action = .read, explain: Bool = false) throws -> Decision {
            try engine.check(CheckRequest(userId: "u1", action: action, resourceType: type, resourceId: id, explain: explain))
        }

        /// Commits the queued L2/L3 writes and empties L1: the next answer comes from L2.
        func dropL1() throws {
            try cache.layers?.flush()
            cache.l1.removeAll()
        }

        /// Reopens store and cache over the same files (L2 emptied, L3 kept).
        func restart() throws {
            try cache.layers?.flush()
            try directory.reopen()
            var configuration = DecisionCache.Configuration()
            configuration.admitOnFirstSighting = true
            cache = try DecisionCache(configuration: configuration, versions: directory.versions,
                                      file: .init(path: cachePath, database: try directory.store.databaseIdentity()), clock: time.clock)
        }
    }

    enum Layer: String, CaseIterable { case l1, l2, l3 }

    /// Puts the answer at `before` into `layer`, moves to `after`, and returns the next answer.
    static func across(_ fixture: Fixture, _ layer: Layer, from before: Int64, to after: Int64, _ type: ResourceType, _ id: String,
                       _ action: Action) throws -> (before: Decision, after: Decision) {
        fixture.at(before)
        let first = try fixture.check(type, id, action)
        let cached = try fixture.check(type, id, action)
        #expect(cached.cacheLayer == .l1, "the answer at \(before - t) is cached")
        switch layer {
        case .l1: break
        case .l2: try fixture.dropL1()
        case .l3: try fixture.restart()
        }
        if layer != .l1 {
            let again = try fixture.check(type, id, action)
            #expect(again.cacheLayer.rawValue == layer.rawValue, "the answer is served from \(layer) before the bound")
            #expect(again.allowed == first.allowed)
            try fixture.dropL1()
            if layer == .l3 { try fixture.restart() }
        }
        fixture.at(after)
        return (first, try fixture.check(type, id, action))
    }

    @Test("expires_at: granted at t−1 ms, not at t or t+1 ms, whichever layer held the earlier answer",
          arguments: Layer.allCases, [(ResourceType.generation, "g1", Action.read), (.project, "p1", .createGeneration), (.team, "t1", .read)])
    func expiry(layer: Layer, resource: (ResourceType, String, Action)) async throws {
        for after in [Self.t, Self.t + 1] {
            let fixture = try await Fixture(expiresAt: Self.t)
            let (before, now) = try Self.across(fixture, layer, from: Self.t - 1, to: after, resource.0, resource.1, resource.2)
            #expect(before.allowed && before.reason.code == "team_role:editor")
            #expect(!now.allowed, "at t+\(after - Self.t) ms the expired membership still granted, from \(now.cacheLayer)")
            #expect(now.reason.code == "no_grant")
        }
    }

    @Test("starts_at: denied at t−1 ms, granted at t and t+1 ms, whichever layer held the earlier deny",
          arguments: Layer.allCases, [(ResourceType.generation, "g1", Action.download), (.project, "p1", .read), (.team, "t1", .read)])
    func start(layer: Layer, resource: (ResourceType, String, Action)) async throws {
        for after in [Self.t, Self.t + 1] {
            let fixture = try await Fixture(startsAt: Self.t)
            let (before, now) = try Self.across(fixture, layer, from: Self.t - 1, to: after, resource.0, resource.1, resource.2)
            #expect(!before.allowed && before.reason.code == "no_grant")
            #expect(now.allowed, "at t+\(after - Self.t) ms the started membership did not grant, from \(now.cacheLayer)")
        }
    }

    @Test("a window [start, end) in a batch: each answer as of the batch's instant")
    func batch() async throws {
        let fixture = try await Fixture(startsAt: Self.t, expiresAt: Self.t + 1000)
        let requests = [CheckRequest(userId: "u1", action: .read, resourceType: .generation, resourceId: "g1"),
                        CheckRequest(userId: "u1", action: .read, resourceType: .team, resourceId: "t1")]
        for (instant, expected) in [(Self.t - 1, false), (Self.t, true), (Self.t + 999, true), (Self.t + 1000, false), (Self.t + 1001, false)] {
            fixture.at(instant)
            for _ in 0..<2 {
                let decisions = try fixture.engine.check(batch: requests)
                #expect(decisions.map(\.allowed) == [expected, expected], "at t+\(instant - Self.t)")
            }
        }
    }

    @Test("explain names the bound that applied, and a cached answer keeps it")
    func explanation() async throws {
        let fixture = try await Fixture(startsAt: Self.t, expiresAt: Self.t + 1000)
        fixture.at(Self.t - 1)
        let early = try fixture.check(explain: true)
        #expect(early.explanation?.contains { $0.detail == "user's membership of team 't1' starts at 2027-01-15T08:00:00.000Z" } == true,
                "\(early.explanation ?? [])")
        fixture.at(Self.t + 1000)
        let late = try fixture.check(explain: true)
        #expect(late.explanation?.contains { $0.detail == "user's membership of team 't1' expired at 2027-01-15T08:00:01.000Z" } == true,
                "\(late.explanation ?? [])")
        _ = try fixture.check(.team, "t1")
        let cached = try fixture.check(.team, "t1")
        #expect(cached.cacheLayer == .l1)
        #expect(cached.rulePath.explanation(action: .read, resourceType: "team").last(where: { $0.rule == "team_membership" })?.detail
                == "user's membership expired at 2027-01-15T08:00:01.000Z")
    }

    @Test("resources and subjects list a bounded membership exactly inside its window")
    func listings() async throws {
        let fixture = try await Fixture(startsAt: Self.t, expiresAt: Self.t + 1000)
        for (instant, expected) in [(Self.t - 1, false), (Self.t, true), (Self.t + 999, true), (Self.t + 1000, false)] {
            fixture.at(instant)
            let engine = fixture.engine
            for (type, id, action) in [(ResourceType.generation, "g1", Action.read), (.project, "p1", .read), (.team, "t1", .read),
                                       (.project, "p1", .createGeneration)] {
                let resources = try engine.resources(userId: "u1", type: type, action: action, page: PageRequest()).page.items
                #expect(resources.contains(id) == expected, "resources \(type) at t+\(instant - Self.t): \(resources)")
                let subjects = try engine.subjects(type: type, id: id, action: action, page: PageRequest()).page.items
                #expect(subjects.contains("u1") == expected, "subjects \(type) at t+\(instant - Self.t): \(subjects)")
            }
        }
    }

    @Test("the sweep records activate then expire once each, in bound order, with new revisions that move the member's version")
    func sweep() async throws {
        let fixture = try await Fixture(startsAt: Self.t, expiresAt: Self.t + 1000)
        let store = fixture.directory.store
        let created = try await store.changes(ChangeQuery(after: ChangePosition(revision: 0), limit: 1000)).items.count
        #expect(try await store.recordPassedBounds(until: Self.t - 1) == nil, "nothing passed yet: no write")
        let userVersion = fixture.directory.versions.stamp([.user("u1")])[0]
        let activated = try #require(try await store.recordPassedBounds(until: Self.t))
        #expect(fixture.directory.versions.stamp([.user("u1")])[0] == activated, "the member's version moved")
        #expect(activated > userVersion)
        #expect(try await store.recordPassedBounds(until: Self.t + 999) == nil, "each bound once")
        let expired = try #require(try await store.recordPassedBounds(until: Self.t + 5000))
        let changes = try await store.changes(ChangeQuery(after: ChangePosition(revision: 0), limit: 1000)).items.dropFirst(created)
        #expect(changes.map(\.op) == [.activate, .expire])
        #expect(changes.map(\.revision) == [activated, expired])
        #expect(changes.allSatisfy { $0.entity == .member && $0.entityId == "t1/u1" && $0.before == $0.after && $0.actor.kind == .system })
        // Both bounds passed while "stopped": one sweep records both, start first.
        try await fixture.directory.member("u1", of: "t1", as: .viewer, startsAt: Self.t + 6000, expiresAt: Self.t + 7000)
        try fixture.restart()
        let both = try #require(try await fixture.directory.store.recordPassedBounds(until: Self.t + 60_000))
        let last = try await fixture.directory.store.changes(ChangeQuery(after: ChangePosition(revision: both - 1), limit: 10)).items
        #expect(last.map(\.op) == [.activate, .expire])
    }

    @Test("as_of evaluates the bounds at that instant, is never cached, and lies between now and 30 days ahead")
    func asOf() async throws {
        let fixture = try await Fixture(startsAt: Self.t, expiresAt: Self.t + 86_400_000)
        fixture.at(Self.t - 60_000)
        var request = CheckRequest(userId: "u1", action: .read, resourceType: .generation, resourceId: "g1")
        request.asOf = Self.t
        for _ in 0..<2 {
            let decision = try fixture.engine.check(request)
            #expect(decision.allowed && decision.cacheLayer == .miss)
        }
        #expect(try fixture.check().allowed == false, "the what-if answer did not leak into the cache")
        request.asOf = Self.t + 86_400_000
        #expect(try fixture.engine.check(request).allowed == false)
        for outside in [Self.t - 60_000 - 61_000, Self.t - 60_000 + 30 * 86_400_000 + 1] {
            request.asOf = outside
            #expect(throws: PortcullisError.self) { try fixture.engine.check(request) }
        }
    }

    @Test("consistency: at_least_revision up to the current one answers; beyond it is a 400 naming consistency")
    func consistency() async throws {
        let fixture = try await Fixture()
        let revision = fixture.directory.versions.revision
        var request = CheckRequest(userId: "u1", action: .read, resourceType: .generation, resourceId: "g1")
        request.consistency = .atLeastRevision(revision)
        #expect(try fixture.engine.check(request).allowed)
        #expect(try fixture.engine.check(batch: [request]).map(\.allowed) == [true])
        request.consistency = .atLeastRevision(revision + 1)
        do {
            _ = try fixture.engine.check(request)
            Issue.record("a revision not reached was accepted")
        } catch let error as PortcullisError {
            #expect(error.code == .invalidField && error.message.hasPrefix("consistency:"))
        }
        #expect(throws: PortcullisError.self) { try fixture.engine.check(batch: [request]) }
    }

    @Test("an API key with expires_at authenticates until t−1 ms, even cached, and not from t")
    func apiKeyExpiry() async throws {
        let fixture = try await Fixture()
        let secret = APIKeySecret.generate()
        try await fixture.directory.store.createAPIKey(name: "contractor", scopes: [.authz], secret: secret, source: .api, expiresAt: Self.t)
        let authenticator = Authenticator(directory: fixture.directory.store, cache: fixture.cache, clock: fixture.time.clock)
        fixture.at(Self.t - 1)
        #expect(try authenticator.identity(bearer: secret.key) != nil)
        #expect(try authenticator.identity(bearer: secret.key) != nil)
        fixture.at(Self.t)
        #expect(try authenticator.identity(bearer: secret.key) == nil)
        fixture.at(Self.t + 1)
        #expect(try authenticator.identity(bearer: secret.key) == nil)
    }
}
