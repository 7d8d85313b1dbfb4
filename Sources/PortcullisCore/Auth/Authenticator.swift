import PortcullisModel
import PortcullisCache
import PortcullisStore
import Synchronization

/// A bearer credential with its SHA-256 (how keys and tokens are stored) and its cache key: a pure function of the
/// credential, so a connection may keep the last one it computed and reuse it while the same credential comes back.
public struct BearerDigest: Sendable {
    /// The credential as presented.
    public let bearer: String
    let key: CacheKey
    let hash: [UInt8]
    /// The identity last resolved for it through the cache (`Authenticator.identity(_:)`), servable while the cache's
    /// applied revision is still `revision` and the clock is before `expiresAt`: the L1 rule for an entry validated
    /// at a revision, kept by the holder of the digest so a keep-alive connection skips the lookup.
    var resolved: (identity: Identity, revision: Int64, expiresAt: Int64)?
    /// The second in which this credential's use was last reported to `APIKeyUsage` (which records it once a minute).
    var usageNotedAt: Int64 = -1

    /// Nil for a credential too long (or too short) to be one, and for a JWT (`JWTVerifier.looksLikeJWT`), which is
    /// never looked up as a key or token: `Authenticator.identity(jwt:)` verifies it.
    public init?(_ bearer: String) {
        guard (1...APIKeySecret.maximumLength).contains(bearer.utf8.count), !JWTVerifier.looksLikeJWT(bearer) else { return nil }
        self.bearer = bearer
        hash = Crypto.sha256(bearer.utf8)
        key = CacheKey(bearer.hasPrefix(UserTokenSecret.prefix) ? .userToken : .apiKey, hash.hexString)
    }
}

/// Resolves a bearer credential to an identity, through the cache's one sequence when there is a cache.
///
/// A cached API key identity depends on the version shared by all API keys (moved by any key's deletion: rare, and
/// one key rather than one per deleted key, so versions stay bounded); a user token's identity depends
/// on its user's version (moved by logout, disabling, deleting or any change to the user) and never outlives the
/// token's expiry: the next request after any of those writes misses the cache and is refused. A JWT's user goes
/// through the same cache under the user's id, with the same dependency, so the same writes refuse its JWTs at once.
public struct Authenticator: Sendable {
    let directory: any CredentialStore & APIKeyStore
    let cache: DecisionCache?
    let clock: WallClock
    /// Verifies JWT bearers; nil when `auth.jwt` is not configured (JWTs are then refused).
    public let jwt: JWTVerifier?
    /// Identities as cache entries; decoding goes through a memo, since parsing a payload (splitting, building the
    /// scope set) cost more than the cache lookup itself.
    private let codec: CacheCodec<Identity?>
    /// `last_used_at` bookkeeping, at most once a minute per key.
    private let usage = APIKeyUsage()

    /// An authenticator reading `directory`; with `cache`, identities go through it at high priority (admitted to L1 at
    /// once). `clock` decides token expiry and when a key's use is next recorded; `jwt` accepts JWT callers.
    public init(directory: any CredentialStore & APIKeyStore, cache: DecisionCache? = nil, clock: WallClock = .system, jwt: JWTVerifier? = nil) {
        self.directory = directory
        self.cache = cache
        self.clock = clock
        self.jwt = jwt
        let decoded = DecodedIdentities()
        codec = CacheCodec(encode: { $0.map(Self.encode) ?? "" }, decode: { payload in decoded.identity(for: payload).map { .some($0) } })
    }

    /// The identity behind `bearer`, or nil when it matches no live key or token.
    ///
    /// A bearer starting with `pct_` is a user token; anything else of a plausible length is looked up as an API key
    /// (generated keys start with `pcs_`, but `PORTCULLIS_ADMIN_KEY` may be any secret of 32 characters or more).
    ///
    /// ```swift
    /// let authenticator = Authenticator(directory: store, cache: cache)
    /// guard let identity = try authenticator.identity(bearer: bearer) else { throw PortcullisError(.unauthorized, "unknown credential") }
    /// if identity.isAdmin { /* management allowed */ }
    /// ```
    /// - Throws: the store's errors; an unknown credential is nil, not an error.
    public func identity(bearer: String) throws -> Identity? {
        guard var digest = BearerDigest(bearer) else { return nil }
        return try identity(&digest)
    }

    /// The identity behind a digested bearer credential: `identity(bearer:)` for a caller that presents the same
    /// credential again and again (a keep-alive connection) and keeps its digest rather than hashing it each time.
    ///
    /// ```swift
    /// if digest?.bearer != bearer { digest = BearerDigest(bearer) }
    /// let identity = try digest.map { try authenticator.identity(&$0) }
    /// ```
    ///
    /// The digest remembers what it resolved to: while no write has been applied since (the cache's revision has not
    /// moved) and the answer has not expired, the next call answers from it without a cache lookup — exactly what the
    /// cache would answer, since any write that could change it moves the revision before it returns.
    public func identity(_ digest: inout BearerDigest) throws -> Identity? {
        let now = clock.milliseconds()
        if let cache, let resolved = digest.resolved, resolved.revision == cache.revision, now < resolved.expiresAt {
            noteUse(resolved.identity, digest: &digest, now: now)
            return resolved.identity
        }
        digest.resolved = nil
        let (key, hash) = (digest.key, digest.hash)
        let identity: Identity?
        if let cache {
            let answer = try cache.answer(key, codec) { try resolve(key, hash) }
            identity = answer.value
            if let identity { digest.resolved = (identity, answer.revision, answer.expiresAt) }
        } else {
            identity = try resolve(key, hash).value
        }
        if let identity { noteUse(identity, digest: &digest, now: now) }
        return identity
    }

    /// The identity a JWT bearer acts as: the user its user claim names, exactly as that user's token would be (an
    /// administrator's JWT administers), or nil when the token fails verification, JWTs are not configured, or the
    /// user is absent, deleted or disabled.
    ///
    /// The user is read through the cache under `CacheKey.Namespace.jwt` with the user's version as its dependency:
    /// disabling, deleting or changing the user refuses the user's JWTs on the next request. Signing out does not
    /// (a JWT ends at its `exp`).
    ///
    /// ```swift
    /// if JWTVerifier.looksLikeJWT(bearer) { identity = try await authenticator.identity(jwt: bearer) }
    /// ```
    /// - Throws: the store's errors; a refused token is nil, not an error.
    public func identity(jwt token: String) async throws -> Identity? {
        guard let jwt, let userId = try? await jwt.userId(for: token) else { return nil }
        return try jwtUser(userId)
    }

    /// The identity of a verified JWT's user, through the cache.
    func jwtUser(_ userId: String) throws -> Identity? {
        let compute = { () throws -> Computed<Identity?> in
            guard let user = try directory.profile(userId: userId, now: clock.milliseconds())?.user, user.status == .active, user.deletedAt == nil else {
                return Computed(nil, dependencies: nil)
            }
            return Computed(.user(id: user.id, isAdmin: user.isAdmin), dependencies: [.user(user.id)], priority: .high)
        }
        guard let cache else { return try compute().value }
        return try cache.answer(CacheKey(.jwt, userId), codec, compute: compute).value
    }

    /// Reads the identity from the store. An API key depends on the version all keys share; a token on its user's
    /// version, and is not served past its expiry. An unknown credential is not cached.
    private func resolve(_ key: CacheKey, _ hash: [UInt8]) throws -> Computed<Identity?> {
        if key.rawValue.hasPrefix(CacheKey.Namespace.apiKey.rawValue) {
            guard let apiKey = try directory.apiKey(hash: hash) else { return Computed(nil, dependencies: nil) }
            let expiresAt = apiKey.expiresAt.flatMap(Timestamp.epochMilliseconds)
            // An expired key is unknown from its expiry on; a live one is cached no longer than until then.
            if let expiresAt, expiresAt <= clock.milliseconds() { return Computed(nil, dependencies: nil) }
            return Computed(.apiKey(id: apiKey.id, scopes: Set(apiKey.scopes)), dependencies: [.apiKeys], validUntil: expiresAt, priority: .high)
        }
        guard let user = try directory.tokenUser(hash: hash, now: clock.seconds()) else { return Computed(nil, dependencies: nil) }
        return Computed(.user(id: user.userId, isAdmin: user.isAdmin), dependencies: [.user(user.userId)], validUntil: user.expiresAt * 1000,
                        priority: .high)
    }

    /// Records an API key's use off the request path when a minute has passed since the last record; asks at most
    /// once a second per digest (a record is at minute precision).
    private func noteUse(_ identity: Identity, digest: inout BearerDigest, now milliseconds: Int64) {
        let now = milliseconds / 1000
        guard case .apiKey(let id, _) = identity, digest.usageNotedAt != now else { return }
        digest.usageNotedAt = now
        guard usage.due(id, now: now) else { return }
        let directory = directory
        Task.detached(priority: .background) {
            try? await directory.recordAPIKeyUse(id: id, at: Timestamp.format(epochMilliseconds: now / 60 * 60_000))
        }
    }

    static func encode(_ identity: Identity) -> String {
        switch identity {
        case .apiKey(let id, let scopes): "apikey|\(id)|\(scopes.map(\.rawValue).sorted().joined(separator: " "))"
        case .user(let id, let isAdmin): "user|\(id)|\(isAdmin ? 1 : 0)"
        }
    }

    static func decode(_ payload: String) -> Identity? {
        let parts = payload.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        switch parts[0] {
        case "apikey": return .apiKey(id: String(parts[1]), scopes: Set(parts[2].split(separator: " ").compactMap { APIKeyScope(rawValue: String($0)) }))
        case "user": return .user(id: String(parts[1]), isAdmin: parts[2] == "1")
        default: return nil
        }
    }
}

/// A bounded memo of payload → identity. Pure parsing, so serving from it never changes an answer; validity is
/// decided by the cache lookup that produced the payload.
final class DecodedIdentities: Sendable {
    private let table = Mutex<[String: Identity]>([:])
    static let capacity = 10_000

    func identity(for payload: String) -> Identity? {
        if let identity = table.withLock({ $0[payload] }) { return identity }
        guard let identity = Authenticator.decode(payload) else { return nil }
        table.withLock { table in
            if table.count >= Self.capacity { table.removeAll(keepingCapacity: true) }
            table[payload] = identity
        }
        return identity
    }
}

/// When each API key's use was last recorded, so `last_used_at` is written at most once a minute per key.
final class APIKeyUsage: Sendable {
    private let recorded = Mutex<[String: Int64]>([:])
    static let intervalSeconds: Int64 = 60
    static let capacity = 100_000

    /// Whether a use at `now` should be recorded; marks it recorded when so.
    func due(_ id: String, now: Int64) -> Bool {
        recorded.withLock { recorded in
            if let last = recorded[id], now - last < Self.intervalSeconds { return false }
            if recorded.count >= Self.capacity { recorded.removeAll(keepingCapacity: true) }
            recorded[id] = now
            return true
        }
    }
}
