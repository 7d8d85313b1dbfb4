import Foundation
import Synchronization
import Testing

@testable import PortcullisCore
@testable import PortcullisPostgres

/// The media signing keys shared in PostgreSQL (SPEC 8.4: any node verifies any URL). Each node is a store, a storage
/// and a keyring of its own on one schema. Bounds are driven by a manual clock and explicit refreshes, or awaited with
/// a deadline where the background poll is under test; no sleep stands in for synchronization.
@Suite("PostgreSQL signing keys", .enabled(if: PostgresTestDatabase.isAvailable, PostgresTestDatabase.skipMessage))
struct PostgresSigningKeysTests {
    /// A monotonic clock that moves only when told.
    final class ManualClock: Sendable {
        private let nanoseconds = Atomic<UInt64>(1_000_000_000)
        var now: UInt64 { nanoseconds.load(ordering: .relaxed) }
        func advance(by duration: Duration) {
            let (seconds, attoseconds) = duration.components
            nanoseconds.add(UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000), ordering: .relaxed)
        }
    }

    /// One node: its store, its keys' storage, its keyring and a signer on it.
    struct Node {
        let store: PostgresStore
        let storage: PostgresSigningKeyStorage
        let keyring: SigningKeyring
        var signer: MediaURLSigner { MediaURLSigner(keyring: keyring, publicBase: "", lifetimeSeconds: 300) }

        /// A node on `configuration`'s schema: `clock` in place of the monotonic clock, a poll task when `pollInterval` is set.
        init(_ configuration: PostgresConfiguration, clock: ManualClock? = nil, pollInterval: Duration? = nil) throws {
            store = try PostgresStore(configuration)
            var timing = PostgresSigningKeyStorage.Timing(pollInterval: pollInterval)
            if let clock { timing.now = { clock.now } }
            storage = try PostgresSigningKeyStorage(store: store, timing: timing)
            keyring = SigningKeyring(storage: storage)
        }

        /// A signed URL's path and query, as nginx passes it.
        func sign(_ mediaKey: String = "g1.png") throws -> String {
            try signer.sign(mediaKey: mediaKey, userId: "u1", generationId: "g1", now: 1_000).url
        }

        /// Nil when `url` verifies on this node, else why not.
        func verify(_ url: String) -> MediaURLSigner.Rejection? {
            guard let grant = MediaGrant(originalURI: url, basePath: "") else { return .malformed }
            return signer.verifySignature(grant, now: 1_001)
        }
    }

    static func kid(of url: String) -> String? {
        URLComponents(string: url)?.queryItems?.first { $0.name == "kid" }?.value
    }

    /// Waits until `node`'s poll task has finished a whole poll that started after this call (the poll in flight
    /// may have read before), or `seconds` pass. Counted in polls, not time: on a loaded machine the task may wait
    /// long for a thread, and the bound is about what one poll does.
    static func nextPoll(of node: Node, within seconds: Double = 120) async throws {
        let target = node.storage.pollCount + 2
        _ = try await eventually(within: seconds) { node.storage.pollCount >= target }
    }

    /// Waits until `condition` holds or `seconds` pass; returns whether it held.
    static func eventually(within seconds: Double, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try condition()
    }

    @Test("a URL signed on node A verifies on node B, also when A signed it with a key B has not read yet")
    func anyNodeVerifiesAnyURL() throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let a = try Node(configuration, clock: ManualClock())
        let b = try Node(configuration, clock: ManualClock())
        let first = try a.sign()
        #expect(b.verify(first) == nil)
        // A rotates; B has not polled (no poll task, its clock frozen): the unknown kid makes B read again.
        let rotated = try a.keyring.rotate()
        let second = try a.sign()
        #expect(Self.kid(of: second) == rotated.kid)
        #expect(b.verify(second) == nil)
        #expect(a.verify(first) == nil && b.verify(first) == nil, "URLs of the older key still verify on both")
        // A tampered signature is still refused on both.
        #expect(b.verify(second.replacingOccurrences(of: "uid=u1", with: "uid=u2")) == .badSignature)
    }

    @Test("a rotation on A: B signs with the new key once its poll runs, within the bound, and older URLs verify on both")
    func rotationReachesOtherNodes() async throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let a = try Node(configuration, clock: ManualClock())
        let clock = ManualClock()
        let b = try Node(configuration, clock: clock)
        let old = try b.sign()
        let rotated = try a.keyring.rotate()
        #expect(try a.keyring.activeKey().kid == rotated.kid, "the rotating node signs with its new key at once")
        #expect(try b.keyring.activeKey().kid != rotated.kid, "B has not read since")
        // One poll (what B's task runs every second) and B signs with the new key.
        await b.storage.refresh()
        #expect(try b.keyring.activeKey().kid == rotated.kid)
        #expect(a.verify(old) == nil && b.verify(old) == nil)
        // The hard bound: a node that could not poll does not sign with keys older than `maximumStaleness`.
        let again = try a.keyring.rotate()
        clock.advance(by: PostgresSigningKeyStorage.Timing.standard.maximumStaleness + .nanoseconds(1))
        #expect(try b.keyring.activeKey().kid == again.kid)
    }

    @Test("B's own poll task picks up A's new key: nothing else makes B read (its clock frozen, its kids known)")
    func pollingNode() async throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let a = try Node(configuration, clock: ManualClock())
        let b = try Node(configuration, clock: ManualClock(), pollInterval: .milliseconds(50))
        let rotated = try a.keyring.rotate()
        try await Self.nextPoll(of: b)
        #expect(try b.keyring.activeKey().kid == rotated.kid, "polls: \(b.storage.pollCount), last failure: \(b.storage.pollFailure ?? "none")")
    }

    @Test("a retirement on A is refused on B after its next poll, and by the hard bound without one")
    func retirementReachesOtherNodes() async throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let a = try Node(configuration, clock: ManualClock())
        let clock = ManualClock()
        let b = try Node(configuration, clock: clock)
        let polled = try Node(configuration, clock: ManualClock(), pollInterval: .milliseconds(50))
        let old = try a.sign()
        let oldKid = try #require(Self.kid(of: old))
        _ = try a.keyring.rotate()
        #expect(b.verify(old) == nil && polled.verify(old) == nil)
        let retired = try a.keyring.retire(kid: oldKid)
        #expect(retired.retired)
        #expect(a.verify(old) == .unknownKey, "at once on the retiring node")
        try await Self.nextPoll(of: polled)
        #expect(polled.verify(old) == .unknownKey,
                "by its poll: polls \(polled.storage.pollCount), last failure: \(polled.storage.pollFailure ?? "none")")
        // B has not read since: within the bound it may still accept the old key…
        #expect(b.verify(old) == nil)
        // …and past `maximumStaleness` it no longer trusts what it read, reads again and refuses it.
        clock.advance(by: PostgresSigningKeyStorage.Timing.standard.maximumStaleness + .nanoseconds(1))
        #expect(b.verify(old) == .unknownKey)
        await b.storage.refresh()
        #expect(b.verify(old) == .unknownKey)
    }

    @Test("while the keys cannot be read, the last read keeps working up to the bound, then nothing verifies or signs")
    func outageFailsClosed() throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let clock = ManualClock()
        let b = try Node(configuration, clock: clock)
        let url = try b.sign()
        // The keys' tables vanish: every read fails from now on.
        let schema = try #require(configuration.schema)
        _ = try b.store.readers.withConnection { connection in
            try PostgresSnapshotPool.rows(connection, "DROP SCHEMA \(schema) CASCADE", .of(), logger: b.store.logger)
        }
        #expect(b.verify(url) == nil, "within the bound, the keys last read still verify")
        #expect(throws: Never.self) { try b.sign() }
        clock.advance(by: PostgresSigningKeyStorage.Timing.standard.maximumStaleness + .nanoseconds(1))
        #expect(b.verify(url) == .unknownKey)
        #expect { try b.sign() } throws: { ($0 as? PortcullisError)?.code == .signingKeysUnreadable }
    }

    @Test("a key known to be retired, and random unknown key ids, cost at most one database read per 250 ms")
    func unknownKidsAreRateLimited() throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let a = try Node(configuration, clock: ManualClock())
        let clock = ManualClock()
        let b = try Node(configuration, clock: clock)
        let old = try b.sign()
        _ = try a.keyring.rotate()
        _ = try a.keyring.retire(kid: try #require(Self.kid(of: old)))
        func randomKid() -> String { "k" + Base64URL.encode(Crypto.randomBytes(6)) }
        let before = b.storage.database.statementCount
        for _ in 0..<500 { #expect(b.keyring.verifyingKey(kid: randomKid()) == nil) }
        #expect(b.storage.database.statementCount - before == 1, "one read for 500 unknown kids within 250 ms")
        clock.advance(by: .milliseconds(249))
        for _ in 0..<500 { #expect(b.keyring.verifyingKey(kid: randomKid()) == nil) }
        #expect(b.storage.database.statementCount - before == 1)
        clock.advance(by: .milliseconds(1))
        for _ in 0..<500 { #expect(b.keyring.verifyingKey(kid: randomKid()) == nil) }
        #expect(b.storage.database.statementCount - before == 2, "the next read 250 ms after the first")
        // The first prompted read showed B the retirement: the retired kid is refused with no read at all.
        let known = b.storage.database.statementCount
        clock.advance(by: .seconds(1))
        #expect(b.verify(old) == .unknownKey)
        #expect(b.storage.database.statementCount == known)
    }

    @Test("rotations from two nodes at once keep every key, one active, and advance the version once each")
    func concurrentRotations() async throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let nodes = [try Node(configuration, clock: ManualClock()), try Node(configuration, clock: ManualClock())]
        let initial = try nodes[0].storage.database.snapshot()
        let made = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 12) { index in
            let key = try? nodes[index % 2].keyring.rotate()
            made.withLock { $0.append(key?.kid ?? "failed") }
        }
        let kids = made.withLock { $0 }
        #expect(!kids.contains("failed"))
        let snapshot = try nodes[1].storage.database.snapshot()
        #expect(Set(snapshot.keys.map(\.kid)) == Set(kids + initial.keys.map(\.kid)), "every rotation's key survives")
        #expect(snapshot.keys.count == 13)
        #expect(kids.contains(try #require(snapshot.active)), "exactly one active: one of the new keys")
        #expect(snapshot.version == initial.version + 12, "one version per rotation: a poll never misses one")
        for node in nodes {
            await node.storage.refresh()
            #expect(try node.keyring.activeKey().kid == snapshot.active)
        }
    }

    @Test("nodes starting together on an empty table create exactly one key")
    func concurrentFirstStarts() throws {
        for _ in 0..<3 {
            let configuration = try PostgresTestDatabase.freshConfiguration()
            // The stores open (and migrate) first; the keyrings then start at once.
            let stores = try (0..<6).map { _ in try PostgresStore(configuration) }
            let actives = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: stores.count) { index in
                let timing = PostgresSigningKeyStorage.Timing(pollInterval: nil)
                let kid = (try? SigningKeyring(postgres: stores[index], timing: timing).activeKey().kid) ?? "failed"
                actives.withLock { $0.append(kid) }
            }
            let snapshot = try PostgresSigningKeys(store: stores[0]).snapshot()
            #expect(snapshot.keys.count == 1)
            #expect(snapshot.version == 1)
            #expect(Set(actives.withLock { $0 }) == [snapshot.keys[0].kid], "every node signs with the one key")
        }
    }

    /// Holds what a thread of a test hands back.
    final class Handoff: Sendable {
        let value = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
    }

    /// Runs `statements` in a transaction of `holder`'s (another node half-way through a write, the state row locked),
    /// starts `body` on a thread of its own, commits once `body` waits for that transaction (seen from `watcher` in
    /// `pg_blocking_pids`, polled with a deadline), and returns what `body` returned.
    static func whileAnotherNodeWrites(_ statements: [String], holder: PostgresStore, watcher: PostgresStore,
                                       _ body: @escaping @Sendable () -> String) throws -> String {
        let logger = holder.logger
        let handoff = Handoff()
        try holder.readers.withConnection { connection in
            let pid: Int32 = try PostgresSnapshotPool.rows(connection, "SELECT pg_backend_pid()", .of(), logger: logger)[0].decode(Int32.self)
            for statement in ["BEGIN", "SELECT active FROM signing_key_state WHERE id = 1 FOR UPDATE"] + statements {
                _ = try PostgresSnapshotPool.rows(connection, statement, .of(), logger: logger)
            }
            Thread.detachNewThread {
                let value = body()
                handoff.value.withLock { $0 = value }
                handoff.done.signal()
            }
            let deadline = ContinuousClock.now + .seconds(30)
            var blocked = 0
            while blocked == 0 && ContinuousClock.now < deadline {
                blocked = try watcher.readers.withConnection { connection in
                    try PostgresSnapshotPool.rows(connection, "SELECT count(*)::int FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))",
                                                  .of(Int64(pid)), logger: logger)[0].decode(Int.self)
                }
                if blocked == 0 { Thread.sleep(forTimeInterval: 0.005) }
            }
            #expect(blocked == 1, "the other node waits for the lock")
            _ = try PostgresSnapshotPool.rows(connection, "COMMIT", .of(), logger: logger)
        }
        handoff.done.wait()
        return handoff.value.withLock { $0 } ?? "none"
    }

    /// A key's INSERT and the state row's UPDATE, as a node's rotation runs them.
    static func rotation(to kid: String) -> [String] {
        let secret = Base64URL.encode(Crypto.randomBytes(32))
        return ["INSERT INTO signing_keys (kid, secret, created_at) VALUES ('\(kid)', '\(secret)', '2026-12-01T00:00:00Z')",
                "UPDATE signing_key_state SET version = version + 1, active = '\(kid)' WHERE id = 1"]
    }

    @Test("a node starting while another is creating the first key waits for its lock, then creates none")
    func firstStartWaitsForTheLock() throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let starting = try PostgresStore(configuration)
        let watcher = try PostgresStore(configuration)
        let kid = try Self.whileAnotherNodeWrites(Self.rotation(to: "kholder01"), holder: try PostgresStore(configuration), watcher: watcher) {
            (try? SigningKeyring(postgres: starting, timing: PostgresSigningKeyStorage.Timing(pollInterval: nil)).activeKey().kid) ?? "failed"
        }
        let snapshot = try PostgresSigningKeys(store: watcher).snapshot()
        #expect(snapshot.keys.map(\.kid) == ["kholder01"], "the starting node found the key and made none")
        #expect(kid == "kholder01")
    }

    @Test("a rotation while another node rotates waits for it: both keys kept, the later active, the version up by two")
    func rotationWaitsForAnotherRotation() throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let node = try Node(configuration, clock: ManualClock())
        let watcher = try PostgresStore(configuration)
        let before = try node.storage.database.snapshot()
        let kid = try Self.whileAnotherNodeWrites(Self.rotation(to: "kholder02"), holder: try PostgresStore(configuration), watcher: watcher) {
            (try? node.keyring.rotate().kid) ?? "failed"
        }
        let after = try PostgresSigningKeys(store: watcher).snapshot()
        #expect(after.keys.map(\.kid) == before.keys.map(\.kid) + ["kholder02", kid])
        #expect(after.active == kid)
        #expect(after.version == before.version + 2, "one version per rotation: a poll never misses one")
    }

    @Test("the tables and the keyring agree: retiring the active key is a conflict, an unknown key not found, twice no change")
    func retireRules() throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let a = try Node(configuration, clock: ManualClock())
        let active = try a.keyring.activeKey()
        #expect { try a.keyring.retire(kid: active.kid) } throws: { ($0 as? PortcullisError)?.code == .conflict }
        #expect { try a.keyring.retire(kid: "knothere1") } throws: { ($0 as? PortcullisError)?.code == .notFound }
        _ = try a.keyring.rotate()
        _ = try a.keyring.retire(kid: active.kid)
        let version = try a.storage.database.snapshot().version
        #expect(try a.keyring.retire(kid: active.kid).retired)
        #expect(try a.storage.database.snapshot().version == version, "retiring a retired key changes nothing")
    }
}
