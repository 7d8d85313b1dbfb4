import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

/// Sessions, API keys, credential reads, import and versions, on every backend.
extension StoreConformanceTests {
    static func token(_ byte: UInt8) -> [UInt8] { Crypto.sha256([byte]) }

    // MARK: Sessions

    @Test("tokens: a write that moves nothing; live while unexpired and the user active; logout moves the owner", arguments: backends)
    func tokens(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        try await fixture.user("alice", admin: true)
        try await fixture.user("bob")
        let now = WallClock.system.seconds()
        try await fixture.expectCommit([]) { try await store.createToken(userId: "alice", hash: Self.token(1), expiresAt: now + 3600) }
        try await store.createToken(userId: "alice", hash: Self.token(2), expiresAt: now + 60)
        try await store.createToken(userId: "bob", hash: Self.token(3), expiresAt: now + 3600)

        #expect(try store.tokenUser(hash: Self.token(1), now: now) == TokenUser(userId: "alice", isAdmin: true, expiresAt: now + 3600))
        #expect(try store.tokenUser(hash: Self.token(2), now: now + 59)?.userId == "alice")
        #expect(try store.tokenUser(hash: Self.token(2), now: now + 60) == nil, "a token expires at expires_at")
        #expect(try store.tokenUser(hash: Self.token(9), now: now) == nil)

        try await fixture.expectFailure(PortcullisError(.conflict, "already exists")) {
            try await store.createToken(userId: "bob", hash: Self.token(1), expiresAt: now + 3600)
        }
        try await fixture.expectFailure(.unknownReference) { try await store.createToken(userId: "nobody", hash: Self.token(4), expiresAt: now + 60) }

        #expect(try await fixture.expectCommit([.user("alice")]) { try await store.deleteToken(hash: Self.token(1)) })
        #expect(try store.tokenUser(hash: Self.token(1), now: now) == nil)
        // Logging out with a token that is gone still writes, and moves nothing.
        #expect(try await fixture.expectCommit([]) { try await store.deleteToken(hash: Self.token(1)) } == false)

        let ended = try await fixture.expectCommit([.user("alice")]) { try await store.endSessions(userId: "alice") }
        #expect(ended == (try store.revision()))
        #expect(try store.tokenUser(hash: Self.token(2), now: now) == nil)
        #expect(try store.tokenUser(hash: Self.token(3), now: now)?.userId == "bob", "other users' sessions go on")
        try await fixture.expectCommit([.user("nobody")]) { try await store.endSessions(userId: "nobody") }
    }

    /// How a change to a user affects their sessions.
    struct AccountChange: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var endsSessions: Bool
        var apply: @Sendable (any Store) async throws -> Void
    }

    static let accountChanges: [AccountChange] = [
        AccountChange(testDescription: "new password", endsSessions: true) { _ = try await $0.updateUser("u", UserPatch(), passwordHash: "$new") },
        AccountChange(testDescription: "disabled", endsSessions: true) { _ = try await $0.updateUser("u", UserPatch(status: .disabled), passwordHash: nil) },
        AccountChange(testDescription: "deleted", endsSessions: true) { _ = try await $0.deleteUser("u") },
        AccountChange(testDescription: "renamed", endsSessions: false) { _ = try await $0.updateUser("u", UserPatch(displayName: "U"), passwordHash: nil) },
        AccountChange(testDescription: "made admin", endsSessions: false) { _ = try await $0.updateUser("u", UserPatch(isAdmin: true), passwordHash: nil) },
    ]

    @Test("a new password, disabling or deleting ends the user's sessions for good", arguments: backends, accountChanges)
    func sessionsEnd(_ backend: StoreFactory, _ change: AccountChange) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        try await fixture.user("u")
        let now = WallClock.system.seconds()
        try await store.createToken(userId: "u", hash: Self.token(1), expiresAt: now + 3600)
        try await fixture.expectCommit([.user("u")]) { try await change.apply(store) }
        if change.endsSessions {
            #expect(try store.tokenUser(hash: Self.token(1), now: now) == nil)
            // Re-enabling does not bring a session back.
            if change.testDescription == "disabled" {
                _ = try await store.updateUser("u", UserPatch(status: .active), passwordHash: nil)
                #expect(try store.tokenUser(hash: Self.token(1), now: now) == nil)
            }
        } else {
            #expect(try store.tokenUser(hash: Self.token(1), now: now)?.userId == "u")
        }
    }

    // MARK: API keys

    @Test("API keys: create, look up by hash, list oldest first without secrets, delete", arguments: backends)
    func apiKeys(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        #expect(try await store.hasAPIKeys() == false)
        #expect(try await store.apiKeys().isEmpty)
        let secrets = (0..<4).map { _ in APIKeySecret.generate() }
        let first = try await fixture.expectCommit([]) {
            try await store.createAPIKey(name: "bootstrap", scopes: [.admin], secret: secrets[0], source: .bootstrap)
        }
        #expect(first.value.name == "bootstrap" && first.value.scopes == [.admin] && first.value.source == .bootstrap)
        #expect(first.value.lastUsedAt == nil && first.value.id.hasPrefix("key_"))
        #expect((try? Validate.timestamp(first.value.createdAt, field: "created_at")) != nil)
        #expect(try await store.hasAPIKeys())
        let second = try await store.createAPIKey(name: "checks", scopes: [.authz], secret: secrets[1], source: .api).value
        let third = try await store.createAPIKey(name: "both", scopes: [.authz, .admin], secret: secrets[2], source: .api).value

        #expect(try store.apiKey(hash: secrets[1].hash) == second)
        #expect(try store.apiKey(hash: secrets[3].hash) == nil)
        let listed = try await store.apiKeys()
        #expect(Set(listed.map(\.id)) == [first.value.id, second.id, third.id])
        #expect(listed == listed.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }, "oldest first, then by id")
        #expect(listed.first { $0.id == third.id } == third)

        try await fixture.expectFailure(PortcullisError(.conflict, "already exists")) {
            try await store.createAPIKey(name: "again", scopes: [.authz], secret: secrets[1], source: .api)
        }
        let revision = try await fixture.expectCommit([.apiKeys]) { try await store.deleteAPIKey(second.id) }
        #expect(revision == (try store.revision()))
        #expect(try store.apiKey(hash: secrets[1].hash) == nil)
        try await fixture.expectFailure(.notFound("API key", second.id)) { try await store.deleteAPIKey(second.id) }
        #expect(try await store.apiKeys().map(\.id) == listed.map(\.id).filter { $0 != second.id })
    }

    @Test("recording an API key's use is bookkeeping: no revision, no commit", arguments: backends)
    func apiKeyUse(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        let secret = APIKeySecret.generate()
        let key = try await store.createAPIKey(name: "k", scopes: [.authz], secret: secret, source: .api).value
        let revision = try store.revision()
        let announced = fixture.log.all.count
        try await store.recordAPIKeyUse(id: key.id, at: "2026-01-31T12:00:00Z")
        try await store.recordAPIKeyUse(id: "key_unknown", at: "2026-01-31T12:00:00Z")
        #expect(try store.revision() == revision)
        #expect(fixture.log.all.count == announced)
        #expect(try store.apiKey(hash: secret.hash)?.lastUsedAt == "2026-01-31T12:00:00Z")
        #expect(try await store.apiKeys().first?.lastUsedAt == "2026-01-31T12:00:00Z")
    }

    @Test("the environment key: registered once, the same key again writes nothing, another one replaces it", arguments: backends)
    func environmentKey(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        let bootstrap = APIKeySecret.generate()
        _ = try await store.createAPIKey(name: "admin (admin.key)", scopes: [.admin], secret: bootstrap, source: .bootstrap)
        let first = APIKeySecret(key: String(repeating: "a", count: 40))
        let second = APIKeySecret(key: String(repeating: "b", count: 40))

        #expect(try await fixture.expectCommit([]) { try await store.replaceEnvironmentKey(first, name: "env") })
        let registered = try #require(try store.apiKey(hash: first.hash))
        #expect(registered.source == .environment && registered.scopes == [.admin] && registered.name == "env")

        let revision = try store.revision()
        let announced = fixture.log.all.count
        #expect(try await store.replaceEnvironmentKey(first, name: "env") == false)
        #expect(try store.revision() == revision && fixture.log.all.count == announced, "the same key as before writes nothing")

        #expect(try await fixture.expectCommit([.apiKeys]) { try await store.replaceEnvironmentKey(second, name: "env") })
        #expect(try store.apiKey(hash: first.hash) == nil, "the previous environment key stops working")
        #expect(try store.apiKey(hash: second.hash)?.source == .environment)
        #expect(try store.apiKey(hash: bootstrap.hash)?.source == .bootstrap, "other keys are left alone")
        #expect(try await store.apiKeys().count == 2)

        // A secret that is already another kind of key is not registered twice; the stale environment key still goes.
        #expect(try await fixture.expectCommit([.apiKeys]) { try await store.replaceEnvironmentKey(bootstrap, name: "env") })
        #expect(try store.apiKey(hash: second.hash) == nil)
        #expect(try await store.apiKeys().map(\.source) == [.bootstrap])
        #expect(try await store.replaceEnvironmentKey(bootstrap, name: "env") == false)
    }

    // MARK: Credential reads

    @Test("userCredentials finds live users by their stored email, whatever the spelling typed", arguments: backends)
    func userCredentials(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        let alice = try await store.createUser(NewUser(id: "alice", email: "alice@example.com"), passwordHash: "$alice").value
        try await fixture.user("bob")
        for spelling in ["alice@example.com", "ALICE@EXAMPLE.COM", " Alice@Example.com ", "\u{00A0}alice@example.com"] {
            #expect(try store.userCredentials(email: spelling) == UserCredentials(user: alice, passwordHash: "$alice"), "\(spelling)")
        }
        #expect(try store.userCredentials(email: "bob@example.com")?.passwordHash == nil)
        for unknown in ["carol@example.com", "alice@example.org", "alice", "", "al\u{200B}ice@example.com", "alice@example.com\u{0}"] {
            #expect(try store.userCredentials(email: unknown) == nil, "\(unknown.debugDescription)")
        }
        _ = try await store.updateUser("alice", UserPatch(status: .disabled), passwordHash: nil)
        #expect(try store.userCredentials(email: "alice@example.com")?.user.status == .disabled, "sign-in decides what a disabled user gets")
        _ = try await store.deleteUser("alice")
        #expect(try store.userCredentials(email: "alice@example.com") == nil)
    }

    @Test("profile: a live user with their active memberships of live teams, in team order", arguments: backends)
    func profile(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        for name in ["mia", "owen"] { try await fixture.user(name) }
        for team in ["t-b", "t-a", "t-c", "t-dead"] { try await fixture.team(team, owner: "owen") }
        try await fixture.team("t-own", owner: "mia")
        try await fixture.member("mia", of: "t-b", as: .editor)
        try await fixture.member("mia", of: "t-a", as: .viewer, permissions: [.delete])
        try await fixture.member("mia", of: "t-c", as: .admin, active: false)
        try await fixture.member("mia", of: "t-dead", as: .viewer)
        _ = try await store.deleteTeam("t-dead")

        let profile = try #require(try store.profile(userId: "mia", now: 0))
        #expect(profile.user == (try await store.user("mia")))
        #expect(profile.teams == [
            UserMembership(teamId: "t-a", name: "Team t-a", role: .viewer), UserMembership(teamId: "t-b", name: "Team t-b", role: .editor),
            UserMembership(teamId: "t-own", name: "Team t-own", role: .owner),
        ])
        #expect(try store.profile(userId: "nobody", now: 0) == nil)
        _ = try await store.updateUser("mia", UserPatch(status: .disabled), passwordHash: nil)
        #expect(try store.profile(userId: "mia", now: 0)?.user.status == .disabled)
        _ = try await store.deleteUser("mia")
        #expect(try store.profile(userId: "mia", now: 0) == nil)
    }
}
