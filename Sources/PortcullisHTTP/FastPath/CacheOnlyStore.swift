import PortcullisCore

/// The store as the fast path sees it on a backend it must not wait for on an event loop (PostgreSQL): every read
/// throws `CacheOnlyStore.notCached`, so the engine and the authenticator answer only what the cache validly holds;
/// a miss is read on the event loop's own connection (`LoopFactsReader`) or takes the full path. Writes the
/// authenticator makes in the background (a key's `last_used_at`) go to the real store.
struct CacheOnlyStore: AuthorizationStore, CredentialStore, APIKeyStore {
    /// What a read of this store throws: the fast path hands the request on.
    static let notCached = PortcullisError(.storeUnavailable, "not in the cache; the full path reads the database")

    let store: any APIKeyStore

    func withSnapshot<T>(_ body: (any AuthorizationSnapshot) throws -> T) throws -> T { throw Self.notCached }
    func decisionFacts(_ request: CheckRequest) throws -> DecisionFacts { throw Self.notCached }

    func apiKey(hash: [UInt8]) throws -> APIKey? { throw Self.notCached }
    func tokenUser(hash: [UInt8], now: Int64) throws -> TokenUser? { throw Self.notCached }
    func userCredentials(email: String) throws -> UserCredentials? { throw Self.notCached }
    func profile(userId: String, now: Int64) throws -> Profile? { throw Self.notCached }

    func createAPIKey(name: String, scopes: [APIKeyScope], secret: APIKeySecret, source: APIKeySource, expiresAt: Int64?) async throws
        -> Written<APIKey>
    {
        try await store.createAPIKey(name: name, scopes: scopes, secret: secret, source: source, expiresAt: expiresAt)
    }

    func replaceEnvironmentKey(_ secret: APIKeySecret, name: String) async throws -> Bool {
        try await store.replaceEnvironmentKey(secret, name: name)
    }

    func deleteAPIKey(_ id: String) async throws -> Int64 { try await store.deleteAPIKey(id) }
    func apiKeys() async throws -> [APIKey] { try await store.apiKeys() }
    func hasAPIKeys() async throws -> Bool { try await store.hasAPIKeys() }
    func recordAPIKeyUse(id: String, at timestamp: String) async throws { try await store.recordAPIKeyUse(id: id, at: timestamp) }
}
