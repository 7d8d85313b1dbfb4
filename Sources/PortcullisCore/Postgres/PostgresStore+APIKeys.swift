import NIOCore
import PortcullisModel
import PortcullisStore
import PostgresNIO

/// API keys, as `SQLiteStore+APIKeys` has them: stored as SHA-256, listed without secrets, the environment key
/// replaced when it changes.
extension PostgresStore: APIKeyStore {
    static let apiKeyColumns = "id, name, scopes, created_at, last_used_at, source, expires_at"

    static func apiKey(_ row: PostgresRow) throws -> APIKey {
        var columns = PostgresColumns(row)
        let id: String = try columns.next(), name: String = try columns.next(), scopes: String = try columns.next()
        let createdAt: String = try columns.next(), lastUsedAt: String? = try columns.next(), source: String = try columns.next()
        let expiresAt: Int64? = try columns.next()
        return APIKey(id: id, name: name, scopes: scopes.split(separator: " ").compactMap { APIKeyScope(rawValue: String($0)) },
                      createdAt: createdAt, lastUsedAt: lastUsedAt, source: APIKeySource(rawValue: source) ?? .api,
                      expiresAt: expiresAt.map { Timestamp.format(epochMilliseconds: $0) })
    }

    /// Inserts the key under a new `key_…` id. Moves no version: a key nobody has used has no cached answer to contradict.
    @discardableResult
    public func createAPIKey(name: String, scopes: [APIKeyScope], secret: APIKeySecret, source: APIKeySource, expiresAt: Int64?) async throws
        -> Written<APIKey>
    {
        let key = APIKey(id: Identifier.generate(prefix: "key"), name: name, scopes: scopes, createdAt: WallClock.system.timestamp(), source: source,
                         expiresAt: expiresAt.map { Timestamp.format(epochMilliseconds: $0) })
        let hash = secret.hash
        let logger = logger
        return try await write { connection, _, changes in
            try await Self.insertAPIKey(connection, key, hash: hash, changes: &changes, logger: logger)
            return key
        }
    }

    /// Reads first, so the usual start (the same key as last time) writes nothing; otherwise one write deletes every
    /// other `environment` key (moving `apikeys`) and inserts this one. A secret already stored under another source
    /// keeps that source.
    @discardableResult
    public func replaceEnvironmentKey(_ secret: APIKeySecret, name: String) async throws -> Bool {
        let hash = ByteBuffer(bytes: secret.hash)
        let logger = logger
        let current = try await read { connection in
            let rows = try await Self.query(connection, """
                SELECT EXISTS (SELECT 1 FROM api_keys WHERE key_hash = $1)
                   AND NOT EXISTS (SELECT 1 FROM api_keys WHERE source = 'environment' AND key_hash <> $1)
                """, .of(hash), logger: logger)
            return try rows.first?.decode(Bool.self) ?? false
        }
        if current { return false }
        let key = APIKey(id: Identifier.generate(prefix: "key"), name: name, scopes: [.admin], createdAt: WallClock.system.timestamp(),
                         source: .environment)
        let secretHash = secret.hash
        return try await write { connection, changed, changes in
            // The previous environment key stops working the moment another one is configured.
            let stale = try await Self.query(
                connection, "DELETE FROM api_keys WHERE source = 'environment' AND key_hash <> $1 RETURNING \(Self.apiKeyColumns)",
                .of(hash), logger: logger).map(Self.apiKey)
            for key in stale.sorted(by: { $0.id < $1.id }) { try changes.removed(key) }
            let removed = !stale.isEmpty
            if removed { changed.append(.apiKeys) }
            let existing = try await Self.query(connection, "SELECT 1 FROM api_keys WHERE key_hash = $1", .of(hash), logger: logger)
            guard existing.isEmpty else { return removed }
            try await Self.insertAPIKey(connection, key, hash: secretHash, changes: &changes, logger: logger)
            return true
        }.value
    }

    private static func insertAPIKey(_ connection: PostgresConnection, _ key: APIKey, hash: [UInt8], changes: inout ChangeRecorder,
                                     logger: Logger) async throws {
        try await execute(connection, """
            INSERT INTO api_keys (id, name, key_hash, scopes, created_at, source, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, .of(key.id, key.name, ByteBuffer(bytes: hash), key.scopes.map(\.rawValue).joined(separator: " "), key.createdAt,
                     key.source.rawValue, key.expiresAt.flatMap(Timestamp.epochMilliseconds)), logger: logger)
        try changes.created(key)
    }

    /// Deletes the key and moves the `apikeys` version; `not_found` for no such key.
    @discardableResult
    public func deleteAPIKey(_ id: String) async throws -> Int64 {
        let logger = logger
        return try await write { connection, changed, changes in
            changed.append(.apiKeys)
            let rows = try await Self.query(connection, "DELETE FROM api_keys WHERE id = $1 RETURNING \(Self.apiKeyColumns)", .of(id),
                                            logger: logger)
            guard let row = rows.first else { throw PortcullisError.notFound("API key", id) }
            try changes.removed(Self.apiKey(row))
        }.revision
    }

    /// Every key ordered by creation time, then id.
    public func apiKeys() async throws -> [APIKey] {
        let logger = logger
        return try await read { connection in
            try await Self.query(connection, "SELECT \(Self.apiKeyColumns) FROM api_keys ORDER BY created_at, id", logger: logger).map(Self.apiKey)
        }
    }

    /// Bookkeeping, not data: no revision, no version, so a busy key costs no cache invalidation.
    public func recordAPIKeyUse(id: String, at timestamp: String) async throws {
        let logger = logger
        try await read { connection in
            try await Self.execute(connection, "UPDATE api_keys SET last_used_at = $1 WHERE id = $2", .of(timestamp, id), logger: logger)
        }
    }

    /// One indexed lookup (the `key_hash` unique index).
    public func apiKey(hash: [UInt8]) throws -> APIKey? {
        let logger = logger
        let rows = try readers.withConnection { connection in
            try PostgresSnapshotPool.rows(connection, "SELECT \(Self.apiKeyColumns) FROM api_keys WHERE key_hash = $1", .of(ByteBuffer(bytes: hash)),
                                          logger: logger)
        }
        return try rows.first.map(Self.apiKey)
    }

    /// Whether the `api_keys` table has any row.
    public func hasAPIKeys() async throws -> Bool {
        let logger = logger
        return try await read { connection in
            try await Self.query(connection, "SELECT EXISTS (SELECT 1 FROM api_keys)", logger: logger).first?.decode(Bool.self) ?? false
        }
    }
}
