import Foundation
import Testing

/// A PostgreSQL node's start and stop, seen from outside: it opens its port only once its change feed is live, so
/// its first request is answered, not refused with 503; and once stopped it holds no connection to the database.
/// The suite counts every client connection of the test cluster, so it needs the PostgreSQL phase's one test at a
/// time (`--no-parallel`, as `.ci/run` runs it).
@Suite("A PostgreSQL node starts current and stops without a connection left", .enabled(if: TestNodes.isAvailable, TestNodes.skipMessage))
struct PostgresNodeLifecycleTests {
    /// Client connections to the cluster now, the counting one excluded.
    static func connections() async throws -> Int {
        let (status, output) = try await TestNodes.runCommand("/usr/lib/postgresql/15/bin/psql", [
            TestNodes.url ?? "", "-Atc",
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
        ])
        #expect(status == 0, "\(output)")
        return Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test("the first request after start is answered; after stop the node's connections are gone")
    func startAndStop() async throws {
        let before = try await Self.connections()
        try await TestNodes.run(1) { nodes in
            let client = nodes[0].client
            // The first request of all, at once: a node listening before its feed is live answers it 503.
            let first = try await client.post("/api/v1/users", json: ["id": "u1", "email": "u1@example.com"])
            #expect(first.status == 201, "\(first.status) \(first.text)")
            let check = try await client.post("/api/v1/authz/check", json: [
                "user_id": "u1", "action": "read", "resource_type": "team", "resource_id": "none",
            ])
            #expect(check.status == 404 || check.status == 200, "\(check.status) \(check.text)")
            #expect(try await Self.connections() > before, "the running node's connections are counted")
        }
        // Connections close asynchronously once the server has stopped: look until they are gone, 10 s at most.
        let deadline = ContinuousClock.now + .seconds(10)
        var after = try await Self.connections()
        while after > before, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            after = try await Self.connections()
        }
        #expect(after == before, "connections left open by a stopped node: \(after - before)")
    }
}
