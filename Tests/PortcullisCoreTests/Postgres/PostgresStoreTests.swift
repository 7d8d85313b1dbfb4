import Foundation
import NIOCore
import NIOPosix
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
