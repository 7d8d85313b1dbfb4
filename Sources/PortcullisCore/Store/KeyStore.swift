import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite

/// Service credentials (SPEC section 4 and 8.1). Secrets arrive as `APIKeySecret` and are stored only as hashes.
public protocol APIKeyStore: Sendable {
    /// Stores a new key (only `secret.hash`) under a generated id; the caller shows `secret.key` once and forgets it.
    ///
    /// ```swift
    /// let secret = APIKeySecret.generate()
    /// let key = try await store.createAPIKey(name: "billing", scopes: [.authz], secret: secret, source: .api).value
    /// // hand secret.key to the client now: it cannot be recovered
    /// ```
    ///
    /// A key with `expiresAt` (Unix milliseconds) authenticates nothing from that instant on.
    @discardableResult
    func createAPIKey(name: String, scopes: [APIKeyScope], secret: APIKeySecret, source: APIKeySource, expiresAt: Int64?) async throws
        -> Written<APIKey>
    /// Registers `secret` as the environment's admin key, removing any other environment key; true when anything
    /// changed (the same key as at the previous start writes nothing).
    @discardableResult
    func replaceEnvironmentKey(_ secret: APIKeySecret, name: String) async throws -> Bool
    /// Revokes a key, effective on the next request; returns the revision.
    @discardableResult
    func deleteAPIKey(_ id: String) async throws -> Int64
    /// Every API key, oldest first, without secrets.
    func apiKeys() async throws -> [APIKey]
    /// Whether any API key exists (the first start creates the admin key when none does).
    func hasAPIKeys() async throws -> Bool
    /// Notes that a key authenticated a request: bookkeeping, not a write (no revision, no version).
    func recordAPIKeyUse(id: String, at timestamp: String) async throws
}

extension APIKeyStore {
    /// A key that does not expire.
    @discardableResult
    public func createAPIKey(name: String, scopes: [APIKeyScope], secret: APIKeySecret, source: APIKeySource) async throws -> Written<APIKey> {
        try await createAPIKey(name: name, scopes: scopes, secret: secret, source: source, expiresAt: nil)
    }
}

/// Sign-in sessions. Signing in and out are writes: they advance the revision, and ending a session moves its
/// user's version so a cached identity for the token is never served again.
public protocol SessionStore: Sendable {
    /// Stores a token's hash for a user until `expiresAt` (Unix seconds).
    func createToken(userId: String, hash: [UInt8], expiresAt: Int64) async throws
    /// Removes a token; false when there was none.
    @discardableResult
    func deleteToken(hash: [UInt8]) async throws -> Bool
    /// Ends every session of a user; returns the revision.
    @discardableResult
    func endSessions(userId: String) async throws -> Int64
}
