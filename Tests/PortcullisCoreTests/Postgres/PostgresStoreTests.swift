import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import PortcullisCore
@testable import PortcullisPostgres

/// What only the PostgreSQL backend has: its migrations table, its refusal to wait on an event loop, its error
/// mapping. Its behaviour as a store is `StoreConformanceTests`'.
@Suite("PostgreSQL store", .enabled(if: PostgresTestDatabase.isAvailable, PostgresTestDatabase.skipMessage))
struct PostgresStoreTests {
    @Test("opening applies every migration once, in one transaction, and a second open applies none")
    func migrationsApplyOnce() throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let store = try PostgresStore(configuration)
        let applied = try store.readers.withConnection { connection in
            try PostgresSnapshotPool.rows(connection, "SELECT name FROM schema_migrations ORDER BY name", .of(), logger: store.logger)
                .map { try $0.decode(String.self) }
        }
        #expect(applied == PostgresMigrations.all.map(\.name))
        let again = try PostgresStore(configuration)
        let revision = try again.readers.withConnection { connection in
            try PostgresMigrations.apply(on: connection, schema: configuration.schema, logger: again.logger)
        }
        #expect(revision.isEmpty, "nothing left to apply")
        #expect(try again.revision() == 0)
    }

    @Test("writes on one store are seen by another store on the same database (another node)")
    func twoStoresShareTheData() async throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let first = try PostgresStore(configuration)
        let second = try PostgresStore(configuration)
        let written = try await first.createUser(NewUser(id: "ada", email: "ada@example.com"), passwordHash: nil)
        #expect(try second.revision() == written.revision)
        #expect(try await second.user("ada").email == "ada@example.com")
        let facts = try second.decisionFacts(CheckRequest(userId: "ada", action: .read, resourceType: .team, resourceId: "t"))
        #expect(facts.revision == written.revision && facts.subject == SubjectFacts(isAdmin: false, isActive: true))
        // Revisions stay one sequence whichever store writes.
        let next = try await second.createUser(NewUser(id: "bob", email: "bob@example.com"), passwordHash: nil)
        #expect(next.revision == written.revision + 1)
    }

    @Test("change-log retention runs on one node at a time: while another node holds its lock, a node prunes nothing")
    func retentionOneNodeAtATime() async throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let first = try PostgresStore(configuration)
        let second = try PostgresStore(configuration)
        _ = try await first.createUser(NewUser(id: "ada", email: "ada@example.com"), passwordHash: nil)
        let logger = second.logger
        let cutoff = "9999-12-31T00:00:00Z"
        // The second node's retention is running: it holds the lock for its transaction.
        let whileHeld = try await second.read { connection in
            try await PostgresStore.execute(connection, "BEGIN", logger: logger)
            try await PostgresStore.execute(connection, "SELECT pg_advisory_xact_lock($1::int4, hashtext(current_schema()))", .of(PostgresStore.retentionLock), logger: logger)
            let removed = try await first.pruneChanges(recordedBefore: cutoff)
            try await PostgresStore.execute(connection, "ROLLBACK", logger: logger)
            return removed
        }
        #expect(whileHeld == 0)
        #expect(try await first.changeHorizon() == 0)
        #expect(try await first.pruneChanges(recordedBefore: cutoff) > 0, "once released, the node prunes")
        #expect(try await first.changeHorizon() == 1)
    }

    @Test("a snapshot is REPEATABLE READ: a write committed while it is open is not seen by it, and is by the next read")
    func snapshotIsolation() throws {
        let store = try PostgresStore(try PostgresTestDatabase.freshConfiguration())
        let logger = store.logger
        let (first, second) = try store.withSnapshot { snapshot in
            let first = try snapshot.revision()
            // Another connection commits a write while the snapshot is open.
            _ = try store.readers.withConnection { connection in
                try PostgresSnapshotPool.rows(connection, "UPDATE revision SET value = value + 1 WHERE id = 1", .of(), logger: logger)
            }
            return (first, try snapshot.revision())
        }
        #expect(first == second, "one snapshot, one revision")
        #expect(try store.revision() == first + 1, "the next read sees the committed write")
        #expect(try store.decisionFacts(CheckRequest(userId: "u", action: .read, resourceType: .team, resourceId: "t")).revision == first + 1)
    }

    @Test("concurrent writes on two nodes get distinct consecutive revisions, each node announcing its own in order")
    func concurrentWrites() async throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let logs = [CommitLog(), CommitLog()]
        let nodes = try logs.map { log in try PostgresStore(configuration, onCommit: log.append) }
        let revisions = try await withThrowingTaskGroup(of: Int64.self) { group in
            for index in 0..<40 {
                let node = nodes[index % 2]
                group.addTask {
                    try await node.createUser(NewUser(id: "u\(index)", email: "u\(index)@example.com"), passwordHash: nil).revision
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(revisions.sorted() == Array(1...40), "every write its own revision, none skipped")
        for log in logs {
            let announced = log.all.map(\.revision)
            #expect(announced.count == 20 && announced == announced.sorted(), "each node announces in revision order: \(announced)")
        }
        #expect(try nodes[0].revision() == 40 && nodes[1].revision() == 40)
    }

    /// The restart bug's pattern, made deterministic: the server ends the write's connection between two statements
    /// of its transaction, and the next statement goes to a closed connection, where PostgresNIO 1.33.2 never
    /// completes it. The write must fail with `store_unavailable` at once, not hold the write gate for ever.
    @Test("a write whose connection the server ends mid-transaction fails with store_unavailable at once; the next write goes through")
    func writeOnTerminatedConnection() async throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let log = CommitLog()
        let store = try PostgresStore(configuration, onCommit: log.append)
        let other = try PostgresStore(configuration)
        let logger = store.logger
        let closedAt = Moment()
        // Raced against 20 s without waiting for the loser: without the bound the write never ends.
        let outcome = await FirstOf.run(within: .seconds(20)) { () async -> String in
            do {
                _ = try await store.write { connection, _, _ in
                    let pid = try await PostgresStore.query(connection, "SELECT pg_backend_pid()::int8", logger: logger)[0].decode(Int64.self)
                    _ = try await other.read { admin in
                        try await PostgresStore.query(admin, "SELECT pg_terminate_backend($1::int4)", .of(pid), logger: logger)
                    }
                    let deadline = ContinuousClock.now + .seconds(5)
                    while !connection.isClosed && ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(5))  // waiting for the client to see the close
                    }
                    closedAt.set(ContinuousClock.now)
                    try await PostgresStore.execute(connection, "SELECT 1", logger: logger)
                    return 1
                }
                return "returned"
            } catch let error as PortcullisError {
                return error.code.rawValue
            } catch {
                return "\(error)"
            }
        }
        #expect(outcome == "store_unavailable", "the write ended with \(outcome ?? "nothing within 20 s")")
        let noticed = closedAt.value.map { ContinuousClock.now - $0 }
        #expect(noticed.map { $0 < PostgresStore.writeDeadline / 3 } == true,
                "failed \(noticed.map { "\($0)" } ?? "?") after its connection closed: noticed the close, not the deadline")
        #expect(log.all.isEmpty, "nothing committed, nothing announced")
        // The node's writes go on: the gate was released and the dead connection is not reused.
        let next = await FirstOf.run(within: .seconds(20)) { () async -> Int64? in
            try? await store.createUser(NewUser(id: "ada", email: "ada@example.com"), passwordHash: nil).revision
        }
        #expect(next == 1, "the next write: \(String(describing: next))")
        #expect(log.all.map(\.revision) == [1])
    }

    @Test("the consistency gate's revision read, on an event loop's own connection and through the pool, is the database's after every write")
    func gateRevisionReads() async throws {
        let configuration = try PostgresTestDatabase.freshConfiguration()
        let store = try PostgresStore(configuration)
        let other = try PostgresStore(configuration)
        defer { store.close(); other.close() }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        /// The revision read on `loop`'s connection, once that connection is open (it opens on the first call).
        func onTheLoop() async throws -> Int64 {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let read = try await loop.flatSubmit { () -> EventLoopFuture<Int64?> in
                    store.loopReader.revision(on: loop, within: .seconds(5))?.map { $0 } ?? loop.makeSucceededFuture(nil)
                }.get()
                if let read { return read }
                try await Task.sleep(for: .milliseconds(5))
            }
            throw PortcullisError(.storeUnavailable, "the event loop's connection did not open")
        }
        /// The gate's read as a node makes it: from a task, which hops to an event loop (or to the pool meanwhile).
        func forTheGate() async throws -> Int64 {
            try await withCheckedContinuation { continuation in
                store.readRevisionForGate(within: .seconds(5)) { continuation.resume(returning: $0) }
            }.get()
        }
        #expect(try await onTheLoop() == 0)
        #expect(try await forTheGate() == 0)
        for expected in Int64(1)...3 {
            // Another node's write: this store's loop connection learns it from the database, not from a commit.
            let written = try await other.createUser(NewUser(id: "u\(expected)", email: "u\(expected)@example.com"), passwordHash: nil)
            #expect(written.revision == expected)
            #expect(try await onTheLoop() == expected)
            #expect(try await forTheGate() == expected)
            #expect(try await store.revisionForGate(within: .seconds(5)).get() == expected, "through the pool")
        }
    }

    @Test("a synchronous read on an event-loop thread is refused with store_error, never a wait that could deadlock")
    func refusesEventLoopThreads() throws {
        let store = try PostgresStore(try PostgresTestDatabase.freshConfiguration())
        let request = CheckRequest(userId: "u", action: .read, resourceType: .generation, resourceId: "g")
        let outcome = try MultiThreadedEventLoopGroup.singleton.next().submit { () -> String in
            do {
                _ = try store.decisionFacts(request)
                return "answered"
            } catch let error as PortcullisError {
                return error.code.rawValue + ": " + error.message
            } catch {
                return "\(error)"
            }
        }.wait()
        #expect(outcome.hasPrefix("store_error: ") && outcome.contains("event-loop thread"), "\(outcome)")
        // Off the event loop the same call answers.
        #expect(try store.decisionFacts(request).subject == nil)
    }

    @Test("an unreachable server is store_unavailable; a bad schema name is invalid_config")
    func openErrors() throws {
        var unreachable = try PostgresConfiguration(url: "postgres://nobody@127.0.0.1:1/none?sslmode=disable")
        unreachable.readerCapacity = 1
        #expect {
            try PostgresStore(unreachable)
        } throws: { error in
            (error as? PortcullisError)?.code == .storeUnavailable
        }
        var badSchema = try PostgresTestDatabase.freshConfiguration()
        badSchema.schema = "x; DROP TABLE users"
        #expect {
            try PostgresStore(badSchema)
        } throws: { error in
            (error as? PortcullisError)?.code == .invalidConfig
        }
    }
}

/// An instant one task records and another reads.
private final class Moment: Sendable {
    private let instant = Mutex<ContinuousClock.Instant?>(nil)
    func set(_ value: ContinuousClock.Instant) { instant.withLock { $0 = value } }
    var value: ContinuousClock.Instant? { instant.withLock { $0 } }
}
