import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

/// The SQLite store across a restart: what was acknowledged is what is read back.
@Suite("SQLiteStore")
struct SQLiteStoreTests {
    @Test("a new database has every migration applied and revision 0")
    func freshDatabase() throws {
        let directory = try TestDirectory()
        #expect(try directory.store.pendingMigrations().isEmpty)
        #expect(try directory.store.revision() == 0)
        #expect(!Migrations.all.isEmpty)
    }

    @Test("decisions and revision survive dropping and reopening the store")
    func restart() async throws {
        let directory = try TestDirectory()
        for name in ["alice", "bob", "carol"] { try await directory.user(name) }
        try await directory.user("root", admin: true)
        try await directory.team("t", owner: "alice")
        try await directory.member("bob", of: "t", as: .editor)
        try await directory.member("carol", of: "t", as: .viewer, permissions: [.delete])
        try await directory.project("p", owner: "alice", team: "t", visibility: .team)
        try await directory.project("q", owner: "alice", visibility: .public)
        try await directory.generation("g1", owner: "alice", project: "p")
        try await directory.generation("g2", owner: "bob", project: "q")
        try await directory.generation("g3", owner: "carol")
        // Revocations too must survive: a stale allow after a restart is the failure the spec forbids.
        try await directory.store.updateUser("carol", UserPatch(status: .disabled), passwordHash: nil)
        try await directory.store.updateProject("q", ProjectPatch(visibility: .private))
        try await directory.member("bob", of: "t", as: .viewer)

        var requests: [CheckRequest] = []
        for user in ["alice", "bob", "carol", "root", "nobody"] {
            let resources = [
                (ResourceType.generation, "g1"), (.generation, "g2"), (.generation, "g3"), (.project, "p"), (.project, "q"), (.team, "t"),
            ]
            for (type, id) in resources {
                for action in type.actions {
                    requests.append(CheckRequest(userId: user, action: action, resourceType: type, resourceId: id))
                }
            }
        }
        let revision = try directory.store.revision()
        let before = try directory.engine.check(batch: requests)
        #expect(before.allSatisfy { $0.revision == revision })
        #expect(before.contains { $0.allowed } && before.contains { !$0.allowed })

        try directory.reopen()
        #expect(try directory.store.revision() == revision)
        #expect(try directory.store.pendingMigrations().isEmpty)
        let after = try directory.engine.check(batch: requests)
        #expect(after == before)
        #expect(try directory.check("bob", .update, .generation, "g1").reason.code == "no_grant")
        #expect(try directory.check("carol", .read, .generation, "g3").reason.code == "user_inactive")

        // The reopened store keeps counting from where it was.
        let next = try await directory.generation("g4", owner: "bob")
        #expect(next == revision + 1)
    }
}
