import Foundation
import Synchronization
import Testing

@testable import PortcullisCore
@testable import PortcullisPostgres

/// The gate of a node on PostgreSQL (SPEC 8.4), over a real change feed: a request waits until the node has applied
/// the database's revision read after it arrived; waiters share reads; `minimize_latency`'s bound is kept fresh in the
/// background; a node whose feed is not live proves nothing.
@Suite("PostgreSQL consistency gate", .enabled(if: PostgresTestDatabase.isAvailable, PostgresTestDatabase.skipMessage))
struct PostgresConsistencyGateTests {
    /// A gate over `node`'s feed whose revision reads are counted.
    static func gate(_ node: FeedNode, reads: Counter = Counter()) -> PostgresConsistencyGate {
        let store = node.store
        return PostgresConsistencyGate(feed: node.feed) {
            reads.add()
            return try await store.latestRevision()
        }
    }

    final class Counter: Sendable {
        private let count = Atomic<Int>(0)
        func add() { count.add(1, ordering: .relaxed) }
        var value: Int { count.load(ordering: .relaxed) }
    }

    /// Waits (up to 30 s) until `condition` holds.
    static func eventually(_ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        return condition()
    }

    @Test("a request that arrived after another node's write returned passes once this node has applied that write")
    func waitsForAnotherNodesWrite() async throws {
        let nodes = try FeedNode.cluster(2)
        defer { nodes.forEach { $0.stop() } }
        #expect(try await Self.eventually { nodes[1].feed.isLive })
        let gate = Self.gate(nodes[1])
        let written = try await nodes[0].store.createUser(NewUser(id: "ada", email: "ada@example.com"), passwordHash: nil)
        let arrived = monotonicNanoseconds()
        #expect(!gate.isCurrent(since: arrived), "nothing was read since the request arrived")
        try await gate.awaitCurrent(since: arrived)
        #expect(nodes[1].feed.appliedRevision >= written.revision)
        #expect(gate.isCurrent(since: arrived))
    }

    @Test("a revision the database gave and the feed has not applied proves nothing: refused after the gate's wait, passed once applied")
    func waitsForTheFeed() async throws {
        let nodes = try FeedNode.cluster(2)
        defer { nodes.forEach { $0.stop() } }
        #expect(try await Self.eventually { nodes[1].feed.isLive })
        let ahead = nodes[1].feed.appliedRevision + 1
        // What the database says once another node's write has returned and its notification is still on its way.
        let gate = PostgresConsistencyGate(feed: nodes[1].feed, wait: .milliseconds(500)) { _, done in done(.success(ahead)) }
        do throws(PortcullisError) {
            try await gate.awaitCurrent(since: monotonicNanoseconds())
            Issue.record("proved current while the feed had not applied revision \(ahead)")
        } catch {
            #expect(error.code == .storeUnavailable && error.message.contains("\(ahead)"), "\(error.message)")
        }
        #expect(!gate.isCurrent(since: .min + 1), "a refused round proves nothing")
        let written = try await nodes[0].store.createUser(NewUser(id: "ada", email: "ada@example.com"), passwordHash: nil)
        #expect(written.revision == ahead)
        try await gate.awaitCurrent(since: monotonicNanoseconds())
        #expect(nodes[1].feed.appliedRevision >= ahead)
    }

    @Test("requests waiting together share revision reads, and a callback waiter is called once")
    func waitersShareReads() async throws {
        let nodes = try FeedNode.cluster(1)
        defer { nodes.forEach { $0.stop() } }
        #expect(try await Self.eventually { nodes[0].feed.isLive })
        let reads = Counter()
        let gate = Self.gate(nodes[0], reads: reads)
        let calls = Counter()
        let arrived = monotonicNanoseconds()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<200 { group.addTask { try await gate.awaitCurrent(since: arrived) } }
            group.addTask {
                let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, PortcullisError>, Never>) in
                    gate.whenCurrent(since: arrived) { result in
                        calls.add()
                        continuation.resume(returning: result)
                    }
                }
                try result.get()
            }
            try await group.waitForAll()
        }
        #expect(calls.value == 1)
        // All arrived before the first read was issued or while it ran: that read or the next one answers them all.
        #expect((1...2).contains(reads.value), "\(reads.value) reads for 201 waiters")
        #expect(gate.rounds == reads.value)
    }

    @Test("minimize_latency: within the bound only after a read, which the bound's check itself starts in the background")
    func boundedCurrency() async throws {
        let nodes = try FeedNode.cluster(1)
        defer { nodes.forEach { $0.stop() } }
        #expect(try await Self.eventually { nodes[0].feed.isLive })
        let gate = Self.gate(nodes[0])
        let second: Int64 = 1_000_000_000
        #expect(!gate.isCurrent(withinNanoseconds: second), "no read yet: nothing is proven")
        #expect(try await Self.eventually { gate.isCurrent(withinNanoseconds: second) }, "the background read proves the bound")
        #expect(gate.rounds >= 1)
        #expect(!gate.isCurrent(withinNanoseconds: 1), "a bound shorter than the time since the last read is not met")
    }

    @Test("a node whose feed is not live is refused at once with store_unavailable")
    func feedNotLive() async throws {
        let nodes = try FeedNode.cluster(1)
        nodes[0].stop()
        #expect(try await Self.eventually { !nodes[0].feed.isLive })
        let gate = Self.gate(nodes[0])
        await #expect(throws: PortcullisError.self) { try await gate.awaitCurrent(since: monotonicNanoseconds()) }
        do throws(PortcullisError) {
            try await gate.awaitCurrent(since: monotonicNanoseconds())
        } catch {
            #expect(error.code == .storeUnavailable)
        }
        #expect(gate.rounds == 0, "no read is made for a node that cannot apply it")
        #expect(gate.status.live == false && gate.status.provenAgoMilliseconds == nil)
    }
}
