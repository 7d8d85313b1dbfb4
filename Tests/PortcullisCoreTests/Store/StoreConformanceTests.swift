import Foundation
import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

/// One behaviour for every backend: each test runs once per entry of `backends`, through the store protocols only.
/// SQLite-only concerns (query plans, migrations, restarts) stay in the SQLite suites.
///
/// A new backend adds its `StoreFactory` to `allBackends` and nothing else (PostgreSQL's is there when
/// `PORTCULLIS_TEST_POSTGRES_URL` names a server).
@Suite("Store conformance")
struct StoreConformanceTests {
    /// Every backend this run can open: SQLite and memory, and PostgreSQL when `PORTCULLIS_TEST_POSTGRES_URL` is set.
    static let allBackends: [StoreFactory] = [.sqlite, .memory] + [StoreFactory.postgres].compactMap { $0 }
    /// The backends each test runs on: all of them, or PostgreSQL alone with `PORTCULLIS_TEST_STORES=postgres` (CI's
    /// PostgreSQL phase, whose first phase ran SQLite and memory).
    static let backends: [StoreFactory] = ProcessInfo.processInfo.environment["PORTCULLIS_TEST_STORES"] == "postgres"
        ? [StoreFactory.postgres].compactMap { $0 } : allBackends

    // MARK: Users

    @Test("users: create, read, change, soft-delete, list", arguments: backends)
    func users(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        let alice = try await fixture.expectCommit([]) {
            try await store.createUser(NewUser(id: "alice", email: "alice@example.com", displayName: "Alice"), passwordHash: "$hash")
        }
        #expect(alice.revision == 1)
        #expect(alice.value.id == "alice" && alice.value.email == "alice@example.com" && alice.value.displayName == "Alice")
        #expect(!alice.value.isAdmin && alice.value.status == .active && alice.value.deletedAt == nil)
        #expect((try? Validate.timestamp(alice.value.createdAt, field: "created_at")) != nil, "created_at is RFC 3339: \(alice.value.createdAt)")
        #expect(try await store.user("alice") == alice.value)

        let generated = try await store.createUser(NewUser(email: "anon@example.com"), passwordHash: nil).value
        #expect(generated.id.hasPrefix("usr_") && Identifier.isValid(generated.id))

        let changed = try await fixture.expectCommit([.user("alice")]) {
            try await store.updateUser("alice", UserPatch(email: "alice@example.org", displayName: "Alice L.", isAdmin: true), passwordHash: nil)
        }
        #expect(changed.value.email == "alice@example.org" && changed.value.displayName == "Alice L." && changed.value.isAdmin)
        #expect(changed.value.createdAt == alice.value.createdAt)
        #expect(try await store.user("alice") == changed.value)
        // An empty patch is still a write.
        try await fixture.expectCommit([.user("alice")]) { try await store.updateUser("alice", UserPatch(), passwordHash: nil) }
        // Keeping one's own email is no conflict.
        try await fixture.expectCommit([.user("alice")]) {
            try await store.updateUser("alice", UserPatch(email: "alice@example.org"), passwordHash: nil)
        }

        let deleted = try await fixture.expectCommit([.user("alice")]) { try await store.deleteUser("alice") }
        #expect(deleted == (try store.revision()))
        try await fixture.expectFailure(.notFound("user", "alice")) { try await store.user("alice") }
        try await fixture.expectFailure(.notFound("user", "alice")) { try await store.deleteUser("alice") }
        try await fixture.expectFailure(.notFound("user", "alice")) { try await store.updateUser("alice", UserPatch(), passwordHash: nil) }
        try await fixture.expectFailure(.notFound("user", "nobody")) { try await store.updateUser("nobody", UserPatch(), passwordHash: nil) }
        #expect(try await store.users(PageRequest()).items.map(\.id) == [generated.id])
        #expect(try store.withSnapshot { try $0.subject("alice") } == SubjectFacts(isAdmin: true, isActive: false))
    }

    @Test("users: taken ids and live emails conflict; ids are never reused, emails are once their user is deleted", arguments: backends)
    func userConflicts(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        try await fixture.user("alice")
        try await fixture.user("bob")
        try await fixture.expectFailure(PortcullisError(.conflict, "user 'alice' already exists")) {
            try await store.createUser(NewUser(id: "alice", email: "other@example.com"), passwordHash: nil)
        }
        try await fixture.expectFailure(PortcullisError(.conflict, "email 'alice@example.com' is already in use")) {
            try await store.createUser(NewUser(id: "alice2", email: "alice@example.com"), passwordHash: nil)
        }
        try await fixture.expectFailure(PortcullisError(.conflict, "email 'bob@example.com' is already in use")) {
            try await store.updateUser("alice", UserPatch(email: "bob@example.com"), passwordHash: nil)
        }
        #expect(try await store.user("alice").email == "alice@example.com", "a failed write changed nothing")

        _ = try await store.deleteUser("alice")
        try await fixture.expectFailure(PortcullisError(.conflict, "user 'alice' already exists")) {
            try await store.createUser(NewUser(id: "alice", email: "alice.again@example.com"), passwordHash: nil)
        }
        // A deleted user's email is free again, for a new user and for an existing one.
        try await fixture.expectCommit([]) { try await store.createUser(NewUser(id: "alice2", email: "alice@example.com"), passwordHash: nil) }
        _ = try await store.deleteUser("alice2")
        try await fixture.expectCommit([.user("bob")]) { try await store.updateUser("bob", UserPatch(email: "alice@example.com"), passwordHash: nil) }
    }

    @Test("emails are stored in their normalized form and compared in it", arguments: backends)
    func emailNormalization(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        let input = try parsed(#"{"id":"ann","email":"  Ann.Ödegaard@Example.COM "}"#) { try NewUser(&$0) }
        let ann = try await store.createUser(input, passwordHash: "$ann").value
        #expect(ann.email == "ann.ödegaard@example.com")
        #expect(try await store.user("ann").email == "ann.ödegaard@example.com")

        let sameEmail = try parsed(#"{"id":"ann2","email":"ANN.ÖDEGAARD@example.com"}"#) { try NewUser(&$0) }
        try await fixture.expectFailure(PortcullisError(.conflict, "email 'ann.ödegaard@example.com' is already in use")) {
            try await store.createUser(sameEmail, passwordHash: nil)
        }
        try await fixture.user("bob")
        let patch = try parsed(#"{"email":"Ann.Ödegaard@EXAMPLE.com"}"#) { try UserPatch(&$0) }
        try await fixture.expectFailure(.conflict) { try await store.updateUser("bob", patch, passwordHash: nil) }

        for spelling in ["ann.ödegaard@example.com", "ANN.ÖDEGAARD@EXAMPLE.COM", "\u{00A0}Ann.Ödegaard@example.com\u{2003}", " ann.ödEGaard@example.com"] {
            let credentials = try #require(try store.userCredentials(email: spelling), "\(spelling)")
            #expect(credentials.user == ann && credentials.passwordHash == "$ann")
        }
    }

    // MARK: Teams and memberships

    @Test("teams: the owner becomes a member with role owner; rename, change owner, soft-delete, list", arguments: backends)
    func teams(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        for name in ["tina", "olga", "mark"] { try await fixture.user(name) }
        let team = try await fixture.expectCommit([.user("tina")]) { try await store.createTeam(NewTeam(id: "t", name: "Studio", ownerId: "tina")) }
        #expect(team.value.id == "t" && team.value.name == "Studio" && team.value.ownerId == "tina" && team.value.deletedAt == nil)
        #expect(try await store.team("t") == team.value)
        let owner = try #require(try await store.members(teamId: "t").first)
        #expect(owner == TeamMember(teamId: "t", userId: "tina", role: .owner, permissions: [], isActive: true, createdAt: team.value.createdAt))
        #expect(try await store.createTeam(NewTeam(name: "Generated", ownerId: "tina")).value.id.hasPrefix("team_"))

        let renamed = try await fixture.expectCommit([.team("t")]) { try await store.updateTeam("t", TeamPatch(name: "Studio 2")) }
        #expect(renamed.value.name == "Studio 2" && renamed.value.ownerId == "tina")
        // Naming the current owner is no owner change.
        try await fixture.expectCommit([.team("t")]) { try await store.updateTeam("t", TeamPatch(ownerId: "tina")) }

        // A new owner holds the owner role (replacing their membership); the previous owner keeps theirs as it was.
        try await fixture.member("mark", of: "t", as: .viewer, permissions: [.delete], active: false)
        let markSince = try #require(try await store.members(teamId: "t").first { $0.userId == "mark" }).createdAt
        let moved = try await fixture.expectCommit([.team("t"), .user("mark")]) { try await store.updateTeam("t", TeamPatch(ownerId: "mark")) }
        #expect(moved.value.ownerId == "mark" && moved.value.name == "Studio 2")
        let members = try await store.members(teamId: "t")
        #expect(members.map(\.userId) == ["mark", "tina"])
        #expect(members[0] == TeamMember(teamId: "t", userId: "mark", role: .owner, permissions: [], isActive: true, createdAt: markSince))
        #expect(members[1].role == .owner)
        // A new owner who was no member becomes one.
        try await fixture.expectCommit([.team("t"), .user("olga")]) { try await store.updateTeam("t", TeamPatch(ownerId: "olga")) }
        #expect(try await store.members(teamId: "t").first { $0.userId == "olga" }?.role == .owner)

        try await fixture.expectCommit([.team("t")]) { try await store.deleteTeam("t") }
        try await fixture.expectFailure(.notFound("team", "t")) { try await store.team("t") }
        try await fixture.expectFailure(.notFound("team", "t")) { try await store.members(teamId: "t") }
        try await fixture.expectFailure(.notFound("team", "t")) { try await store.deleteTeam("t") }
        try await fixture.expectFailure(.notFound("team", "t")) { try await store.updateTeam("t", TeamPatch(name: "x")) }
        #expect(try await store.teams(PageRequest()).items.map(\.name) == ["Generated"])
    }

    @Test("teams: taken ids conflict, absent or deleted owners are unknown references", arguments: backends)
    func teamErrors(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        try await fixture.user("tina")
        try await fixture.user("gone")
        _ = try await store.deleteUser("gone")
        try await fixture.team("t", owner: "tina")
        try await fixture.expectFailure(PortcullisError(.conflict, "team 't' already exists")) {
            try await store.createTeam(NewTeam(id: "t", name: "Again", ownerId: "tina"))
        }
        for owner in ["nobody", "gone"] {
            try await fixture.expectFailure(.unknownReference("owner_id", owner)) {
                try await store.createTeam(NewTeam(id: "t2", name: "T2", ownerId: owner))
            }
            try await fixture.expectFailure(.unknownReference("owner_id", owner)) { try await store.updateTeam("t", TeamPatch(name: "x", ownerId: owner)) }
        }
        #expect(try await store.team("t").name == "Team t", "a failed write changed nothing")
        _ = try await store.deleteTeam("t")
        try await fixture.expectFailure(PortcullisError(.conflict, "team 't' already exists")) {
            try await store.createTeam(NewTeam(id: "t", name: "Again", ownerId: "tina"))
        }
    }

    @Test("memberships: put creates then replaces, delete removes; listed in user order, deleted users left out", arguments: backends)
    func memberships(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        for name in ["tina", "zoe", "bob", "gone"] { try await fixture.user(name) }
        try await fixture.team("t", owner: "tina")

        let created = try await fixture.expectCommit([.user("zoe")]) {
            try await store.putMember(teamId: "t", userId: "zoe", MembershipInput(role: .editor, permissions: [.delete, .update]))
        }
        #expect(created.created)
        #expect(created.member.value.teamId == "t" && created.member.value.userId == "zoe" && created.member.value.role == .editor)
        #expect(created.member.value.permissions == [.delete, .update] && created.member.value.isActive)
        let replaced = try await fixture.expectCommit([.user("zoe")]) {
            try await store.putMember(teamId: "t", userId: "zoe", MembershipInput(role: .viewer, permissions: [], isActive: false))
        }
        #expect(!replaced.created)
        #expect(replaced.member.value == TeamMember(teamId: "t", userId: "zoe", role: .viewer, permissions: [], isActive: false,
                                                    createdAt: created.member.value.createdAt))
        try await fixture.member("bob", of: "t", as: .admin)
        try await fixture.member("gone", of: "t", as: .viewer)
        _ = try await store.deleteUser("gone")
        let members = try await store.members(teamId: "t")
        #expect(members.map(\.userId) == ["bob", "tina", "zoe"], "inactive members are listed, deleted users are not")
        #expect(members[2] == replaced.member.value)

        try await fixture.expectCommit([.user("bob")]) { try await store.deleteMember(teamId: "t", userId: "bob") }
        #expect(try await store.members(teamId: "t").map(\.userId) == ["tina", "zoe"])
        try await fixture.expectFailure(PortcullisError(.notFound, "user 'bob' is not a member of team 't'")) {
            try await store.deleteMember(teamId: "t", userId: "bob")
        }
        // A deleted user's membership still exists and can be removed.
        try await fixture.expectCommit([.user("gone")]) { try await store.deleteMember(teamId: "t", userId: "gone") }

        for user in ["nobody", "gone"] {
            try await fixture.expectFailure(.unknownReference("user_id", user)) {
                try await store.putMember(teamId: "t", userId: user, MembershipInput(role: .viewer))
            }
        }
        try await fixture.expectFailure(.notFound("team", "t9")) { try await store.putMember(teamId: "t9", userId: "bob", MembershipInput(role: .viewer)) }
        try await fixture.expectFailure(.notFound("team", "t9")) { try await store.deleteMember(teamId: "t9", userId: "bob") }
        try await fixture.expectFailure(.notFound("team", "t9")) { try await store.members(teamId: "t9") }
        _ = try await store.deleteTeam("t")
        try await fixture.expectFailure(.notFound("team", "t")) { try await store.putMember(teamId: "t", userId: "bob", MembershipInput(role: .viewer)) }
        try await fixture.expectFailure(.notFound("team", "t")) { try await store.deleteMember(teamId: "t", userId: "zoe") }
    }
}
