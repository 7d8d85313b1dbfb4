import Foundation
import Synchronization
import Testing

@testable import PortcullisCache
@testable import PortcullisCore
@testable import PortcullisPostgres

/// SPEC 8.4 across nodes: several stores on one database, each with its own `VersionClock` and `PostgresChangeFeed`
/// (one per simulated node), apply every node's commits in revision order, none skipped, through a lost connection.
@Suite("PostgreSQL change feed", .enabled(if: PostgresTestDatabase.isAvailable, PostgresTestDatabase.skipMessage))
struct PostgresChangeFeedTests {
    /// How long a test waits for a node to apply a revision before failing.
    static let patience = Duration.seconds(30)

    @Test("waitUntilLive returns when the feed goes live, and false for a feed that never runs")
    func waitUntilLive() async throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let idle = PostgresChangeFeed(configuration, after: 0) { _ in }
        #expect(await idle.waitUntilLive(timeout: .milliseconds(50)) == false)
        let node = try FeedNode(configuration, name: "a")
        defer { node.stop() }
        #expect(await node.feed.waitUntilLive(timeout: Self.patience))
        #expect(node.feed.isLive)
    }

    @Test("a write on node A is applied on nodes B and C: the revision, and the versions it moved")
    func writeReachesOtherNodes() async throws {
        let nodes = try FeedNode.cluster(3)
        defer { nodes.forEach { $0.stop() } }
        _ = try await nodes[0].store.createUser(NewUser(id: "ada", email: "ada@example.com"), passwordHash: nil)
        let written = try await nodes[0].store.updateUser("ada", UserPatch(displayName: "Ada"), passwordHash: nil)
        for node in nodes.dropFirst() {
            #expect(await node.feed.waitUntilApplied(written.revision, timeout: Self.patience), "\(node.name) applies the write")
            #expect(node.versions.stamp([.user("ada")]) == [written.revision])
            #expect(node.applied.all == Array(1...written.revision))
        }
        #expect(await nodes[1].feed.waitUntilApplied(written.revision + 1, timeout: .milliseconds(100)) == false,
                "a revision nobody wrote is never reported applied")
    }

    @Test("a few hundred writes from three nodes, interleaved: every node ends at the same revision with the database's versions")
    func interleavedWritesConverge() async throws {
        let nodes = try FeedNode.cluster(3)
        defer { nodes.forEach { $0.stop() } }
        let users = (0..<20).map { "u\($0)" }
        for user in users {
            _ = try await nodes[1].store.createUser(NewUser(id: user, email: "\(user)@example.com"), passwordHash: nil)
        }
        _ = try await nodes[0].store.createTeam(NewTeam(id: "t", name: "T", ownerId: "u0"))
        let seed = UInt64(Date().timeIntervalSince1970)
        var random = SplitMix64(seed: seed)
        let operations = (0..<300).map { _ in (node: Int(random.next() % 3), user: users[Int(random.next() % 20)], kind: random.next() % 3) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, operation) in operations.enumerated() {
                let store = nodes[operation.node].store
                group.addTask {
                    switch operation.kind {
                    case 0: _ = try await store.updateUser(operation.user, UserPatch(displayName: "n\(index)"), passwordHash: nil)
                    case 1: _ = try await store.putMember(teamId: "t", userId: operation.user, MembershipInput(role: .viewer))
                    default: _ = try await store.updateTeam("t", TeamPatch(name: "T\(index)"))
                    }
                }
            }
            try await group.waitForAll()
        }
        let final = try await nodes[0].store.latestRevision()
        #expect(final == 1 + Int64(users.count) + Int64(operations.count))
        let persisted = try nodes[2].store.persistedVersions()
        #expect(persisted.revision == final)
        let keys = persisted.versions.map(\.key)
        for node in nodes {
            #expect(await node.feed.waitUntilApplied(final, timeout: Self.patience), "\(node.name) reaches \(final)")
            #expect(node.feed.appliedRevision == final)
            #expect(node.versions.stamp(keys) == persisted.versions.map(\.version), "\(node.name) holds the database's versions")
            #expect(node.applied.all == Array(1...final), "\(node.name) applied every revision once, in order (seed \(seed))")
        }
    }

    @Test("node B's cached allow is never served once B's feed has applied node A's revocation")
    func revocationOnAnotherNodeInvalidatesTheCache() async throws {
        let nodes = try FeedNode.cluster(2)
        defer { nodes.forEach { $0.stop() } }
        let (a, b) = (nodes[0], nodes[1])
        _ = try await a.store.createUser(NewUser(id: "owner", email: "owner@example.com"), passwordHash: nil)
        _ = try await a.store.createUser(NewUser(id: "bob", email: "bob@example.com"), passwordHash: nil)
        _ = try await a.store.createTeam(NewTeam(id: "t", name: "T", ownerId: "owner"))
        let granted = try await a.store.putMember(teamId: "t", userId: "bob", MembershipInput(role: .viewer)).member.revision
        #expect(await b.feed.waitUntilApplied(granted, timeout: Self.patience))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("feed-cache-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = DecisionCache.Configuration()
        configuration.admitOnFirstSighting = true
        let cache = try DecisionCache(configuration: configuration, versions: b.versions, file: .init(path: folder.appendingPathComponent("cache.sqlite").path, database: try b.store.databaseIdentity()))
        let engine = AuthorizationEngine(store: b.store, cache: cache)
        let question = CheckRequest(userId: "bob", action: .read, resourceType: .team, resourceId: "t")
        #expect(try engine.check(question).allowed)
        let cached = try engine.check(question)
        #expect(cached.allowed && cached.cacheLayer == .l1, "node B holds the allow in its cache")

        let revoked = try await a.store.deleteMember(teamId: "t", userId: "bob")
        #expect(await b.feed.waitUntilApplied(revoked, timeout: Self.patience))
        let after = try engine.check(question)
        #expect(!after.allowed, "the revocation is seen on node B (served from \(after.cacheLayer.rawValue))")
        #expect(after.revision >= revoked)
        try cache.flush()
        #expect(try !engine.check(question).allowed)
    }

    @Test("B's LISTEN connection terminated mid-run: B reports not live, reconnects, catches up and loses no revision")
    func terminatedConnectionLosesNothing() async throws {
        let nodes = try FeedNode.cluster(2)
        defer { nodes.forEach { $0.stop() } }
        let (a, b) = (nodes[0], nodes[1])
        let first = try await a.store.createUser(NewUser(id: "u-first", email: "first@example.com"), passwordHash: nil).revision
        #expect(await b.feed.waitUntilApplied(first, timeout: Self.patience))
        // Catching up applies revisions before the feed reports itself live.
        try await eventually { b.feed.isLive }
        #expect(b.feed.disconnections == 0)
        var last = first
        for index in 0..<150 {
            if index == 50 {
                let terminated = try b.terminateFeedConnection()
                #expect(terminated == 1, "exactly one backend carries B's feed")
            }
            last = try await a.store.createUser(NewUser(id: "u\(index)", email: "u\(index)@example.com"), passwordHash: nil).revision
        }
        #expect(await b.feed.waitUntilApplied(last, timeout: Self.patience))
        #expect(b.feed.disconnections >= 1, "the lost connection was reported")
        #expect(b.feed.connectionCount >= 2, "the feed reconnected")
        #expect(b.applied.all == Array(1...last), "every revision applied once, in order, across the reconnect")
        let persisted = try a.store.persistedVersions()
        #expect(b.versions.stamp(persisted.versions.map(\.key)) == persisted.versions.map(\.version))
        try await eventually { b.feed.isLive }
        // After reconnecting it keeps following: one more write arrives live.
        let after = try await a.store.updateUser("u-first", UserPatch(displayName: "First"), passwordHash: nil).revision
        #expect(await b.feed.waitUntilApplied(after, timeout: Self.patience))
        #expect(b.versions.stamp([.user("u-first")]) == [after])
    }

    @Test("a node behind the pruned commit log reloads the versions it missed from the database")
    func behindThePrunedLogReloads() async throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let writer = try PostgresStore(configuration)
        var last: Int64 = 0
        for index in 0..<5 {
            last = try await writer.createUser(NewUser(id: "u\(index)", email: "u\(index)@example.com"), passwordHash: nil).revision
        }
        #expect(try await writer.pruneCommitLog(olderThan: .zero) == 4, "every row but the newest goes")
        // A node whose clock was loaded at revision 0 starts after the prune.
        let node = try FeedNode(configuration, name: "late", startingAt: 0)
        defer { node.stop() }
        #expect(await node.feed.waitUntilApplied(last, timeout: Self.patience))
        let persisted = try writer.persistedVersions()
        #expect(node.versions.stamp(persisted.versions.map(\.key)) == persisted.versions.map(\.version))
    }

    /// Polls `condition` every 10 ms until it holds; fails the test after `patience`.
    private func eventually(_ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let deadline = ContinuousClock.now + Self.patience
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not reached in \(Self.patience)", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// What the payload of a commit notification carries, and the channel it goes to (no database needed).
@Suite("PostgreSQL commit notifications")
struct PostgresCommitNotificationTests {
    @Test("a payload carries the revision and keys when they fit, else the revision alone; parsing reverses it")
    func payloadRoundTrip() {
        let keys = ["user:u1", "team:t", "epoch"]
        let payload = PostgresStore.payload(revision: 42, keys: keys)
        #expect(payload == "42:user:u1\nteam:t\nepoch")
        let parsed = PostgresStore.parsePayload(payload)
        #expect(parsed.revision == 42 && parsed.keys?.map(\.rawValue) == keys)
        let none = PostgresStore.parsePayload(PostgresStore.payload(revision: 7, keys: []))
        #expect(none.revision == 7 && none.keys == [])
        let many = (0..<1000).map { "user:u\($0)" }
        let large = PostgresStore.payload(revision: 8, keys: many)
        #expect(large == "8" && PostgresStore.parsePayload(large).keys == nil, "too many keys: the feed reads them from commit_log")
        #expect(PostgresStore.parsePayload("junk").revision == nil)
    }

    @Test("the channel is per schema and always a valid channel name")
    func channelNames() {
        #expect(PostgresStore.channel(schema: nil) == "portcullis_changes")
        #expect(PostgresStore.channel(schema: "tenant_a") == "portcullis_changes_tenant_a")
        let long = String(repeating: "a", count: 63)
        let channel = PostgresStore.channel(schema: long)
        #expect(channel.utf8.count <= 63 && channel != PostgresStore.channel(schema: String(repeating: "a", count: 62) + "b"))
    }
}

/// One simulated node: a store, its version clock, its feed, and the revisions the feed applied in the order it
/// applied them. The feed is the clock's only applier, the node's own writes included (docs/caching.md, "Several
/// nodes"): a write's caller awaits `waitUntilApplied(written.revision)` before answering.
final class FeedNode: Sendable {
    let name: String
    let store: PostgresStore
    let versions: VersionClock
    let feed: PostgresChangeFeed
    let applied = AppliedRevisions()
    private let running: Task<Void, Never>

    init(_ configuration: PostgresConfiguration, name: String, startingAt revision: Int64? = nil) throws {
        self.name = name
        let versions = VersionClock()
        self.versions = versions
        store = try PostgresStore(configuration)
        let persisted = try store.persistedVersions()
        if revision == nil { versions.load(persisted) }
        let applied = applied
        let feed = PostgresChangeFeed(configuration, after: revision ?? persisted.revision,
                                      applicationName: "feed-\(configuration.schema ?? "")-\(name)") { commit in
            applied.append(commit.revision)
            versions.apply(commit)
        }
        self.feed = feed
        running = Task { await feed.run() }
    }

    /// `count` nodes on one fresh schema.
    static func cluster(_ count: Int) throws -> [FeedNode] {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        return try (0..<count).map { try FeedNode(configuration, name: String(UnicodeScalar(UInt8(0x61 + $0)))) }
    }

    /// Terminates the backend of this node's LISTEN connection, found by its application name; returns how many.
    func terminateFeedConnection() throws -> Int {
        let logger = store.logger
        return try store.readers.withConnection { connection in
            try PostgresSnapshotPool.rows(connection, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                                          .of(feed.applicationName), logger: logger).count
        }
    }

    func stop() {
        running.cancel()
    }
}

/// The revisions a feed applied, in order.
final class AppliedRevisions: Sendable {
    private let revisions = Mutex<[Int64]>([])

    func append(_ revision: Int64) {
        revisions.withLock { $0.append(revision) }
    }

    var all: [Int64] { revisions.withLock { $0 } }
}
