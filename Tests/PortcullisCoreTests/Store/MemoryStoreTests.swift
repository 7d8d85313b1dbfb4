import GRDB
import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

/// What only the memory backend has: its copy of the role grants, its injected clock, and what it tells the monitor.
/// Behaviour shared with SQLite is in `StoreConformanceTests`.
@Suite("MemoryStore")
struct MemoryStoreTests {
    @Test("its role grants are the rows the SQL migration seeds")
    func roleGrants() throws {
        let directory = try TestDirectory()
        let rows = try directory.store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT role, resource_type, action FROM role_grants").map { "\($0[0] as String) \($0[1] as String) \($0[2] as String)" }
        }
        var memory: [String] = []
        for type in ResourceType.allCases {
            for role in TeamRole.allCases {
                for action in Action.allCases where MemoryRoleGrants.grants(role, type, action) {
                    memory.append("\(role.rawValue) \(type.rawValue) \(action.rawValue)")
                }
            }
        }
        #expect(Set(rows) == Set(memory))
        #expect(rows.count == memory.count)
    }

    @Test("timestamps and the token sweep read the injected clock")
    func clock() async throws {
        let time = ManualClock(milliseconds: 1_800_000_000_123)
        let store = MemoryStore(clock: time.clock)
        let user = try await store.createUser(NewUser(id: "u", email: "u@example.com"), passwordHash: nil).value
        #expect(user.createdAt == Timestamp.format(epochMilliseconds: 1_800_000_000_123))
        time.advance(seconds: 60)
        _ = try await store.createProject(NewProject(id: "p", name: "P", ownerId: "u"))
        _ = try await store.deleteProject("p")
        #expect(try store.withSnapshot { try $0.project("p", userId: "u", action: .read)?.isDeleted } == true)
        let key = try await store.createAPIKey(name: "k", scopes: [.authz], secret: .generate(), source: .api).value
        #expect(key.createdAt == Timestamp.format(epochMilliseconds: 1_800_000_060_123))

        // An expired token is swept by the next sign-in, so its hash can be stored again.
        let hash = Crypto.sha256([1])
        try await store.createToken(userId: "u", hash: hash, expiresAt: time.clock.seconds() + 10)
        await #expect(throws: PortcullisError(.conflict, "already exists")) {
            try await store.createToken(userId: "u", hash: hash, expiresAt: time.clock.seconds() + 10)
        }
        time.advance(seconds: 10)
        try await store.createToken(userId: "u", hash: hash, expiresAt: time.clock.seconds() + 10)
        #expect(store.tokenUser(hash: hash, now: time.clock.seconds())?.userId == "u")
    }

    @Test("StoreBackend.memory opens an empty store with no statements and no storage; a VersionClock loads its versions")
    func backend() async throws {
        let versions = VersionClock()
        let store = StoreBackend.memory(onCommit: versions.apply)
        #expect(try store.revision() == 0)
        #expect(store.statements().queries.isEmpty && store.statements().recommendations.isEmpty)
        #expect(store.storageBytes().database == nil && store.storageBytes().log == nil)
        _ = try await store.createUser(NewUser(id: "u", email: "u@example.com"), passwordHash: nil)
        _ = try await store.endSessions(userId: "u")
        #expect(versions.revision == 2 && versions.stamp([.user("u")]) == [2])

        let restarted = VersionClock()
        restarted.load(try store.persistedVersions())
        #expect(restarted.revision == 2 && restarted.stamp([.user("u"), .epoch]) == [2, 0])
    }
}
