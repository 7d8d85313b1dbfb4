import Testing

@testable import PortcullisCore
@testable import PortcullisCache

/// A kept `BearerDigest` (what a keep-alive connection holds) answers from what it last resolved while no write has
/// been applied since; these tests prove it never outlives a revocation, an expiry or a sign-out, and that it is used.
@Suite("Authenticator: a kept digest")
struct AuthenticatorTests {
    let fixture: CachedDirectory
    let authenticator: Authenticator

    init() throws {
        fixture = try CachedDirectory()
        authenticator = Authenticator(directory: fixture.directory.store, cache: fixture.cache, clock: fixture.clock.clock)
    }

    /// L1 lookups so far (hits and misses): a call answered from the digest makes none.
    var lookups: Int { fixture.cache.report().lookups }

    @Test("the second call with the same digest makes no cache lookup; any write makes the next one look again")
    func reuse() async throws {
        let secret = APIKeySecret.generate()
        try await fixture.directory.store.createAPIKey(name: "svc", scopes: [.authz], secret: secret, source: .api)
        var digest = try #require(BearerDigest(secret.key))
        #expect(try authenticator.identity(&digest) != nil)
        let before = lookups
        #expect(try authenticator.identity(&digest) != nil)
        #expect(lookups == before, "answered from the digest")
        // A write that does not concern the key still moves the revision: the next call asks the cache again.
        _ = try await fixture.directory.user("someone")
        #expect(try authenticator.identity(&digest) != nil)
        #expect(lookups == before + 1)
    }

    @Test("deleting the key refuses the next request on a kept digest")
    func deletedKey() async throws {
        let secret = APIKeySecret.generate()
        let key = try await fixture.directory.store.createAPIKey(name: "svc", scopes: [.authz], secret: secret, source: .api).value
        var digest = try #require(BearerDigest(secret.key))
        #expect(try authenticator.identity(&digest) != nil)
        #expect(try authenticator.identity(&digest) != nil)
        _ = try await fixture.directory.store.deleteAPIKey(key.id)
        #expect(try authenticator.identity(&digest) == nil)
    }

    @Test("a key with expires_at: a kept digest authenticates until t−1 ms and not from t")
    func expiry() async throws {
        let expiresAt = fixture.clock.milliseconds + 60_000
        let secret = APIKeySecret.generate()
        try await fixture.directory.store.createAPIKey(name: "contractor", scopes: [.authz], secret: secret, source: .api, expiresAt: expiresAt)
        var digest = try #require(BearerDigest(secret.key))
        #expect(try authenticator.identity(&digest) != nil)
        fixture.clock.advance(milliseconds: expiresAt - 1 - fixture.clock.milliseconds)
        #expect(try authenticator.identity(&digest) != nil)
        fixture.clock.advance(milliseconds: 1)
        #expect(try authenticator.identity(&digest) == nil)
    }

    @Test("signing out, disabling or deleting the user refuses a kept token digest at once")
    func userToken() async throws {
        for end in ["sign-out", "disable", "delete"] {
            let userId = "u-\(end)"
            _ = try await fixture.directory.user(userId)
            let token = UserTokenSecret.generate()
            try await fixture.directory.store.createToken(userId: userId, hash: token.hash, expiresAt: fixture.clock.milliseconds / 1000 + 3600)
            var digest = try #require(BearerDigest(token.token))
            #expect(try authenticator.identity(&digest) == .user(id: userId, isAdmin: false))
            #expect(try authenticator.identity(&digest) == .user(id: userId, isAdmin: false))
            switch end {
            case "sign-out": try await fixture.directory.store.deleteToken(hash: token.hash)
            case "disable": _ = try await fixture.directory.store.updateUser(userId, UserPatch(status: .disabled), passwordHash: nil)
            default: _ = try await fixture.directory.store.deleteUser(userId)
            }
            #expect(try authenticator.identity(&digest) == nil, "after \(end)")
        }
    }
}
