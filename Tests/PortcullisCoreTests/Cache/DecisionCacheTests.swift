import Foundation
import GRDB
import Testing

@testable import PortcullisCore
@testable import PortcullisCache
@testable import PortcullisStore

@Suite("Decision cache: exact invalidation in every layer, before and after a restart")
struct DecisionCacheTests {
    /// A write that takes `m`'s read access to `g` away, and the reason the next check must give.
    struct Revocation: Sendable, CustomStringConvertible {
        var description: String
        var reason: String
        var apply: @Sendable (SQLiteStore) async throws -> Void
    }

    static let revocations: [Revocation] = [
        Revocation(description: "membership deleted", reason: "no_grant") { try await $0.deleteMember(teamId: "t", userId: "m") },
        Revocation(description: "membership deactivated", reason: "no_grant") {
            _ = try await $0.putMember(teamId: "t", userId: "m", MembershipInput(role: .viewer, isActive: false))
        },
        Revocation(description: "role without read... downgraded permissions", reason: "no_grant") {
            // A viewer's read comes from the role; moving the project out of the team removes it.
            _ = try await $0.updateProject("p", ProjectPatch(teamId: .some(nil)))
        },
        Revocation(description: "user disabled", reason: "user_inactive") { _ = try await $0.updateUser("m", UserPatch(status: .disabled), passwordHash: nil) },
        Revocation(description: "user deleted", reason: "user_inactive") { _ = try await $0.deleteUser("m") },
        Revocation(description: "project deleted", reason: "not_found") { _ = try await $0.deleteProject("p") },
        Revocation(description: "visibility made private", reason: "no_grant") { _ = try await $0.updateProject("p", ProjectPatch(visibility: .private)) },
        Revocation(description: "team deleted", reason: "no_grant") { _ = try await $0.deleteTeam("t") },
        Revocation(description: "generation deleted", reason: "not_found") { _ = try await $0.deleteGeneration("g") },
        Revocation(description: "generation moved to a private project", reason: "no_grant") {
            _ = try await $0.updateGeneration("g", GenerationPatch(projectId: .some("private")))
        },
    ]

    enum Layer: String, CaseIterable, Sendable {
        case l1, l2, l3
    }

    /// m views team t, whose project p holds generation g (revisions 1 to 7); with `gInPrivateProject`, the same writes
    /// but g goes in o's private project, which m cannot read.
    static func seed(_ directory: some DirectorySeeding, gInPrivateProject: Bool = false) async throws {
        try await directory.user("o")
        try await directory.user("m")
        try await directory.team("t", owner: "o")
        try await directory.member("m", of: "t", as: .viewer)
        try await directory.project("p", owner: "o", team: "t", visibility: .team)
        try await directory.project("private", owner: "o")
        try await directory.generation("g", owner: "o", project: gInPrivateProject ? "private" : "p")
    }

    /// Puts the allow for (m, read, g) into exactly `layer`: evaluated, then reused once (which admits it to L2/L3).
    static func prime(_ cached: CachedDirectory, in layer: Layer) throws {
        let first = try cached.check("m", .read, .generation, "g")
        #expect(first.allowed && first.cacheLayer == .miss)
        #expect(try cached.check("m", .read, .generation, "g").cacheLayer == .l1)
        try arrange(cached, layer)
    }

    /// Leaves cached entries in `layer` and the ones below only.
    static func arrange(_ cached: CachedDirectory, _ layer: Layer) throws {
        switch layer {
        case .l1: break
        case .l2: try cached.onlyInL2()
        case .l3: try cached.onlyInL3()
        }
    }

    @Test("every revocation × every layer: the next check is a correct deny", arguments: revocations, Layer.allCases)
    func revocation(_ revocation: Revocation, layer: Layer) async throws {
        let cached = try CachedDirectory()
        try await Self.seed(cached.directory)
        try Self.prime(cached, in: layer)
        // Prove the layer holds the allow before the write (the hit promotes it upward, so arrange again).
        let hit = try cached.check("m", .read, .generation, "g")
        #expect(hit.allowed && hit.cacheLayer.rawValue == layer.rawValue)
        try Self.arrange(cached, layer)

        try await revocation.apply(cached.directory.store)
        let after = try cached.check("m", .read, .generation, "g")
        #expect(!after.allowed, "stale allow from \(layer) after \(revocation)")
        #expect(after.reason.code == revocation.reason)
        #expect(after.cacheLayer == .miss)
    }

    @Test("an L1 answer validated at one revision is checked again after any write, and kept when the write missed it")
    func revalidationAfterUnrelatedWrite() async throws {
        let cached = try CachedDirectory()
        try await Self.seed(cached.directory)
        try Self.prime(cached, in: .l1)
        let before = cached.cache.revision
        // A write elsewhere moves the revision, not the answer's dependencies: still an L1 hit, and still an allow.
        try await cached.directory.user("bystander")
        #expect(cached.cache.revision > before)
        let kept = try cached.check("m", .read, .generation, "g")
        #expect(kept.allowed && kept.cacheLayer == .l1 && kept.revision == cached.cache.revision)
        // The next write that does touch it is seen even though the entry was just validated.
        try await cached.directory.store.deleteMember(teamId: "t", userId: "m")
        let after = try cached.check("m", .read, .generation, "g")
        #expect(!after.allowed && after.cacheLayer == .miss)
    }

    @Test("every revocation made before a restart: L3 entries from before it are never served", arguments: revocations)
    func revocationAcrossRestart(_ revocation: Revocation) async throws {
        let cached = try CachedDirectory()
        try await Self.seed(cached.directory)
        try Self.prime(cached, in: .l3)
        try await revocation.apply(cached.directory.store)
        try cached.restart()
        let after = try cached.check("m", .read, .generation, "g")
        #expect(!after.allowed && after.reason.code == revocation.reason && after.cacheLayer == .miss)
    }

    @Test("an entry cached before a restart is served from L3 after it when nothing changed")
    func survivesRestart() async throws {
        let cached = try CachedDirectory()
        try await Self.seed(cached.directory)
        try Self.prime(cached, in: .l1)
        try cached.restart()
        let after = try cached.check("m", .read, .generation, "g")
        #expect(after.allowed && after.cacheLayer == .l3)
        #expect(try cached.check("m", .read, .generation, "g").cacheLayer == .l1, "promoted to L1")
        try cached.flush()
        cached.cache.l1.removeAll()
        #expect(try cached.check("m", .read, .generation, "g").cacheLayer == .l2, "promoted to L2")
    }

    @Test("grants show at once too: a new membership, a role change, a public project")
    func grants() async throws {
        let cached = try CachedDirectory()
        try await Self.seed(cached.directory)
        try await cached.directory.user("x")
        #expect(try cached.check("x", .read, .generation, "g").reason == .noGrant)
        #expect(try cached.check("x", .read, .generation, "g").cacheLayer == .l1)
        try await cached.directory.member("x", of: "t", as: .editor)
        #expect(try cached.check("x", .read, .generation, "g").reason == .teamRole(.editor))
        #expect(try cached.check("m", .update, .generation, "g").reason == .noGrant)
        try await cached.directory.member("m", of: "t", as: .admin)
        #expect(try cached.check("m", .update, .generation, "g").reason == .teamRole(.admin))
        try await cached.directory.user("y")
        #expect(try cached.check("y", .download, .generation, "g").allowed == false)
        _ = try await cached.directory.store.updateProject("p", ProjectPatch(visibility: .public))
        #expect(try cached.check("y", .download, .generation, "g").reason == .publicProject)
    }

    @Test("invalidating a user drops their cached answers without scanning, and reports a new revision")
    func invalidateUser() async throws {
        let cached = try CachedDirectory()
        try await Self.seed(cached.directory)
        _ = try cached.check("m", .read, .generation, "g")
        #expect(try cached.check("m", .read, .generation, "g").cacheLayer == .l1)
        let revision = try await cached.directory.store.invalidateUser("m")
        let after = try cached.check("m", .read, .generation, "g")
        #expect(after.cacheLayer == .miss && after.allowed && after.revision >= revision)
    }

    @Test("answers about absent entities are not cached (their creation has no version to move)")
    func absentNotCached() async throws {
        let cached = try CachedDirectory()
        try await Self.seed(cached.directory)
        #expect(try cached.check("m", .read, .generation, "later").reason == .notFound)
        #expect(try cached.check("m", .read, .generation, "later").cacheLayer == .miss)
        try await cached.directory.generation("later", owner: "m")
        #expect(try cached.check("m", .read, .generation, "later").reason == .owner)
        #expect(try cached.check("nobody", .read, .generation, "g").cacheLayer == .miss)
    }

    @Test("an import moves the epoch: every cached answer goes")
    func importClearsEverything() async throws {
        let cached = try CachedDirectory()
        try await Self.seed(cached.directory)
        try await cached.directory.user("z")
        #expect(try cached.check("z", .read, .generation, "g").allowed == false)
        let lines = [#"{"type":"member","team_id":"t","user_id":"z","role":"viewer"}"#]
        _ = try cached.directory.store.importRecords(from: lines.enumerated().map { (line: $0.offset + 1, text: Optional(Substring($0.element))) }, hasher: PasswordHasher(iterations: 1000))
        let after = try cached.check("z", .read, .generation, "g")
        #expect(after.allowed && after.cacheLayer == .miss)
    }

    @Test("with L2 and L3 failing, breakers open and checks go on correctly; they close again after 30 s")
    func breakers() async throws {
        let cached = try CachedDirectory()
        try await Self.seed(cached.directory)
        try Self.prime(cached, in: .l2)
        // Break the SQLite layers under the cache.
        let cachePath = cached.directory.folder.appendingPathComponent("decision-cache.sqlite").path
        let breaker = try DatabaseQueue(path: cachePath)
        try await breaker.write { db in try db.execute(sql: "DROP TABLE cache_entries") }
        for round in 0..<8 {
            cached.cache.l1.removeAll()
            let decision = try cached.check("m", .read, .generation, "g")
            #expect(decision.allowed && decision.reason == .teamRole(.viewer), "round \(round)")
        }
        #expect(cached.cache.l2Breaker.state == .open && cached.cache.l3Breaker.state == .open)
        #expect(cached.cache.report().layerErrors >= 5)

        try await breaker.write { db in try db.execute(sql: SQLiteCacheLayers.schema) }
        cached.clock.advance(seconds: 29)
        _ = try cached.check("m", .read, .generation, "g")
        #expect(cached.cache.l2Breaker.state == .open, "still open before 30 s")
        cached.clock.advance(seconds: 2)
        cached.cache.l1.removeAll()
        _ = try cached.check("m", .read, .generation, "g")
        #expect(cached.cache.l2Breaker.state == .closed && cached.cache.l3Breaker.state == .closed)
    }

    @Test("one-off answers stay in L1: only reuse admits an answer to L2 and L3")
    func admission() async throws {
        let cached = try CachedDirectory()
        try await Self.seed(cached.directory)
        _ = try cached.check("m", .read, .generation, "g")
        try cached.onlyInL2()
        #expect(try cached.check("m", .read, .generation, "g").cacheLayer == .miss)
        #expect(try cached.check("m", .read, .generation, "g").cacheLayer == .l1)
        try cached.onlyInL2()
        #expect(try cached.check("m", .read, .generation, "g").cacheLayer == .l2)
    }

    @Test("a sweep removes expired L2/L3 rows; what is still live keeps answering")
    func sweepLowerLayers() async throws {
        let cached = try CachedDirectory()
        try await Self.seed(cached.directory)
        try Self.prime(cached, in: .l2)
        let layers = try #require(cached.cache.layers)
        #expect(try layers.counts().l2 == 1 && layers.counts().l3 == 1)
        try layers.sweep(now: cached.clock.milliseconds)
        #expect(try cached.check("m", .read, .generation, "g").cacheLayer == .l2)
        try layers.sweep(now: cached.clock.milliseconds + 3_601_000)
        #expect(try layers.counts().l2 == 0 && layers.counts().l3 == 0)
    }

    @Test("the report counts hits and misses per layer")
    func report() async throws {
        let cached = try CachedDirectory()
        try await Self.seed(cached.directory)
        for _ in 0..<10 { _ = try cached.check("m", .read, .generation, "g") }
        let report = cached.cache.report()
        let l1 = try #require(report.layers.first { $0.layer == "l1" })
        #expect(l1.hits == 9 && l1.misses == 1 && l1.entries == 1)
        #expect(report.lookups == 10 && abs(report.overallHitRate - 0.9) < 1e-9)
        #expect(l1.latency.count == 10)
    }
}
