import PortcullisModel
import PortcullisPolicy

/// API keys, sign-in sessions and the credential reads of the request path (compare `SQLiteStore+Directory.swift`'s
/// API keys and `SQLiteStore+Tokens.swift`).
extension MemoryStore {
    // MARK: API keys

    /// Stores the key's hash with its name, scopes and source (`APIKeyStore.createAPIKey`).
    @discardableResult
    public func createAPIKey(name: String, scopes: [APIKeyScope], secret: APIKeySecret, source: APIKeySource, expiresAt: Int64?) async throws
        -> Written<APIKey>
    {
        let key = APIKey(id: Identifier.generate(prefix: "key"), name: name, scopes: scopes, createdAt: clock.timestamp(), source: source,
                         expiresAt: expiresAt.map { Timestamp.format(epochMilliseconds: $0) })
        let hash = secret.hash
        return try write { state, _, changes in
            try state.insertAPIKey(key, hash: hash, changes: &changes)
            return key
        }
    }

    /// Makes `secret` the only environment key, writing nothing when it already is (`APIKeyStore.replaceEnvironmentKey`).
    @discardableResult
    public func replaceEnvironmentKey(_ secret: APIKeySecret, name: String) async throws -> Bool {
        let hash = secret.hash
        // The usual start: the same key as last time. Nothing to write, so the revision does not move.
        let keys = current().apiKeys.values
        if keys.contains(where: { $0.hash == hash }) && !keys.contains(where: { $0.key.source == .environment && $0.hash != hash }) {
            return false
        }
        let key = APIKey(id: Identifier.generate(prefix: "key"), name: name, scopes: [.admin], createdAt: clock.timestamp(), source: .environment)
        return try write { state, changed, changes in
            // The previous environment key stops working the moment another one is configured.
            let stale = state.apiKeys.values.filter { $0.key.source == .environment && $0.hash != hash }.map(\.key).sorted { $0.id < $1.id }
            for key in stale {
                state.apiKeys[key.id] = nil
                try changes.removed(key)
            }
            if !stale.isEmpty { changed.append(.apiKeys) }
            guard !state.apiKeys.values.contains(where: { $0.hash == hash }) else { return !stale.isEmpty }
            try state.insertAPIKey(key, hash: hash, changes: &changes)
            return true
        }.value
    }

    /// Revokes a key and moves the version all API keys share (`APIKeyStore.deleteAPIKey`).
    @discardableResult
    public func deleteAPIKey(_ id: String) async throws -> Int64 {
        try write { state, changed, changes in
            changed.append(.apiKeys)
            guard let removed = state.apiKeys.removeValue(forKey: id) else { throw PortcullisError.notFound("API key", id) }
            try changes.removed(removed.key)
        }.revision
    }

    /// Oldest first (`created_at`, then id), as the SQL backend orders them.
    public func apiKeys() async throws -> [APIKey] {
        current().apiKeys.values.map(\.key).sorted { left, right in
            left.createdAt == right.createdAt ? MemoryState.precedes(left.id, right.id) : MemoryState.precedes(left.createdAt, right.createdAt)
        }
    }

    /// Whether any API key exists.
    public func hasAPIKeys() async throws -> Bool {
        !current().apiKeys.isEmpty
    }

    /// Bookkeeping, not data: no revision, no version.
    public func recordAPIKeyUse(id: String, at timestamp: String) async throws {
        touch { state in state.apiKeys[id]?.key.lastUsedAt = timestamp }
    }

    /// The key whose SHA-256 this is, or nil (`CredentialStore.apiKey`).
    public func apiKey(hash: [UInt8]) -> APIKey? {
        current().apiKeys.values.first { $0.hash == hash }?.key
    }

    // MARK: Sessions

    /// Stores a token's hash until `expiresAt` (Unix seconds), dropping expired ones (`SessionStore.createToken`).
    public func createToken(userId: String, hash: [UInt8], expiresAt: Int64) async throws {
        let now = clock.seconds()
        _ = try write { state, _, _ in
            // Expired tokens are swept on sign-in, so the table holds live sessions only.
            state.tokens = state.tokens.filter { $0.value.expiresAt > now }
            // The SQL backend's foreign key and primary key, with the messages its constraint errors map to.
            guard state.users[userId] != nil else { throw PortcullisError(.unknownReference, "a referenced id does not exist") }
            guard state.tokens[hash] == nil else { throw PortcullisError(.conflict, "already exists") }
            state.tokens[hash] = MemoryState.StoredToken(userId: userId, createdAt: clock.timestamp(), expiresAt: expiresAt)
        }
    }

    /// Removes a token and moves its user's version; false when there was none.
    @discardableResult
    public func deleteToken(hash: [UInt8]) async throws -> Bool {
        try write { state, changed, _ in
            // Logout moves the owner's version, so a cached identity for the token is never served again.
            guard let token = state.tokens.removeValue(forKey: hash) else { return false }
            changed.append(.user(token.userId))
            return true
        }.value
    }

    /// Removes every token of the user and moves the user's version; returns the revision.
    @discardableResult
    public func endSessions(userId: String) async throws -> Int64 {
        try write { state, changed, _ in
            state.endSessions(userId: userId)
            changed.append(.user(userId))
        }.revision
    }

    // MARK: Credentials

    /// The active user behind a live token at `now` (Unix seconds), or nil (`CredentialStore.tokenUser`).
    public func tokenUser(hash: [UInt8], now: Int64) -> TokenUser? {
        let state = current()
        guard let token = state.tokens[hash], token.expiresAt > now, let user = state.users[token.userId]?.user,
              user.status == .active, user.deletedAt == nil
        else { return nil }
        return TokenUser(userId: user.id, isAdmin: user.isAdmin, expiresAt: token.expiresAt)
    }

    /// The live user with this email (in its normalized form) and their password hash, or nil.
    public func userCredentials(email: String) -> UserCredentials? {
        guard let email = try? Validate.normalizedEmail(email) else { return nil }
        guard let stored = current().users.values.first(where: { $0.user.deletedAt == nil && $0.user.email == email }) else { return nil }
        return UserCredentials(user: stored.user, passwordHash: stored.passwordHash)
    }

    /// The user and their active memberships of live teams, in team id order, from one state.
    public func profile(userId: String, now: Int64) -> Profile? {
        let state = current()
        guard let user = try? state.liveUser(userId) else { return nil }
        let memberships = state.members.compactMap { teamId, members -> UserMembership? in
            guard let member = members[userId], member.isActive, let team = state.teams[teamId], team.deletedAt == nil,
                  member.expiresAt.flatMap(Timestamp.epochMilliseconds).map({ $0 > now }) ?? true
            else { return nil }
            return UserMembership(teamId: teamId, name: team.name, role: member.role, startsAt: member.startsAt, expiresAt: member.expiresAt)
        }
        return Profile(user: user, teams: memberships.sorted { MemoryState.precedes($0.teamId, $1.teamId) })
    }
}

extension MemoryStore {
    /// Every line applied to one copy of the state, which replaces the current one only when no line failed; like the
    /// SQL backend's bulk write it moves the epoch rather than listing what changed.
    @discardableResult
    public func importRecords(from lines: some Sequence<(line: Int, text: Substring?)>, hasher: PasswordHasher) throws
        -> Written<ImportCounts>
    {
        try write { state, changed, changes in
            let counts = try ImportRecord.run(lines, hasher: hasher, mapError: { PortcullisError(.storeError, "\($0)") }) { record in
                try state.insert(record, clock: clock, changes: &changes)
            }
            changed.append(.epoch)
            return counts
        }
    }
}
