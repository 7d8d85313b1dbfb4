import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite
import Foundation
import GRDB

/// API keys: stored as SHA-256, listed without secrets, the environment key replaced when it changes.
extension SQLiteStore: APIKeyStore {
    /// Inserts the key under a new `key_…` id. Moves no version: a key nobody has used has no cached answer to contradict.
    @discardableResult
    public func createAPIKey(name: String, scopes: [APIKeyScope], secret: APIKeySecret, source: APIKeySource, expiresAt: Int64?) async throws
        -> Written<APIKey>
    {
        let key = APIKey(id: Identifier.generate(prefix: "key"), name: name, scopes: scopes, createdAt: WallClock.system.timestamp(), source: source,
                         expiresAt: expiresAt.map { Timestamp.format(epochMilliseconds: $0) })
        let hash = secret.hash
        return try await write { db, _, changes in
            try Self.insertAPIKey(db, key, hash: hash, changes: &changes)
            return key
        }
    }

    /// Reads first, so the usual start (the same key as last time) writes nothing and leaves the revision alone; otherwise
    /// one write deletes every other `environment` key (moving `apikeys`) and inserts this one.
    /// A secret already stored under another source is not registered again (it keeps that source).
    @discardableResult
    public func replaceEnvironmentKey(_ secret: APIKeySecret, name: String) async throws -> Bool {
        let hash = Data(secret.hash)
        // The usual start: the same key as last time. Nothing to write, so the revision does not move.
        let current = try await read { db in
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM api_keys WHERE key_hash = ?)
                   AND NOT EXISTS (SELECT 1 FROM api_keys WHERE source = 'environment' AND key_hash <> ?)
                """, arguments: [hash, hash]) ?? false
        }
        if current { return false }
        let key = APIKey(id: Identifier.generate(prefix: "key"), name: name, scopes: [.admin], createdAt: WallClock.system.timestamp(), source: .environment)
        return try await write { db, changed, changes in
            // The previous environment key stops working the moment another one is configured.
            let stale = try Row.fetchAll(db, sql: "DELETE FROM api_keys WHERE source = 'environment' AND key_hash <> ? RETURNING \(Self.apiKeyColumns)",
                                         arguments: [hash]).map(Self.apiKey)
            for key in stale.sorted(by: { $0.id < $1.id }) { try changes.removed(key) }
            let removed = !stale.isEmpty
            if removed { changed.append(.apiKeys) }
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM api_keys WHERE key_hash = ?", arguments: [hash]) == nil else { return removed }
            try Self.insertAPIKey(db, key, hash: secret.hash, changes: &changes)
            return true
        }.value
    }

    private static func insertAPIKey(_ db: Database, _ key: APIKey, hash: [UInt8], changes: inout ChangeRecorder) throws {
        try db.execute(sql: "INSERT INTO api_keys (id, name, key_hash, scopes, created_at, source, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       arguments: [key.id, key.name, Data(hash), key.scopes.map(\.rawValue).joined(separator: " "), key.createdAt,
                                   key.source.rawValue, key.expiresAt.flatMap(Timestamp.epochMilliseconds)])
        try changes.created(key)
    }

    static let apiKeyColumns = "id, name, scopes, created_at, last_used_at, source, expires_at"

    static func apiKey(_ row: Row) -> APIKey {
        APIKey(id: row["id"], name: row["name"], scopes: scopes(row["scopes"]), createdAt: row["created_at"], lastUsedAt: row["last_used_at"],
               source: APIKeySource(rawValue: row["source"]) ?? .api,
               expiresAt: (row["expires_at"] as Int64?).map { Timestamp.format(epochMilliseconds: $0) })
    }

    /// Deletes the key and moves the `apikeys` version, so no cached key identity survives; `not_found` for no such key.
    @discardableResult
    public func deleteAPIKey(_ id: String) async throws -> Int64 {
        try await write { db, changed, changes in
            changed.append(.apiKeys)
            guard let row = try Row.fetchOne(db, sql: "DELETE FROM api_keys WHERE id = ? RETURNING \(Self.apiKeyColumns)", arguments: [id]) else {
                throw PortcullisError.notFound("API key", id)
            }
            try changes.removed(Self.apiKey(row))
        }.revision
    }

    /// Every key ordered by creation time, then id.
    public func apiKeys() async throws -> [APIKey] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.apiKeyColumns) FROM api_keys ORDER BY created_at, id").map(Self.apiKey)
        }
    }

    /// Bookkeeping, not data: no revision, no version, so a busy key costs no cache invalidation.
    public func recordAPIKeyUse(id: String, at timestamp: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE api_keys SET last_used_at = ? WHERE id = ?", arguments: [timestamp, id])
        }
    }

    /// One indexed lookup on the reader pool (what a cache miss of API-key authentication costs).
    public func apiKey(hash: [UInt8]) throws -> APIKey? {
        try readers.read { connection throws(PortcullisError) in
            let statement = try connection.statement(Self.apiKeyByHashQuery)
            statement.bind(1, hash)
            guard try statement.step() else { return nil }
            return APIKey(id: statement.text(0) ?? "", name: statement.text(1) ?? "", scopes: Self.scopes(statement.text(2) ?? ""),
                          createdAt: statement.text(3) ?? "", lastUsedAt: statement.text(4),
                          source: APIKeySource(rawValue: statement.text(5) ?? "") ?? .api,
                          expiresAt: statement.isNull(6) ? nil : Timestamp.format(epochMilliseconds: statement.int64(6)))
        }
    }

    static func scopes(_ text: String) -> [APIKeyScope] {
        text.split(separator: " ").compactMap { APIKeyScope(rawValue: String($0)) }
    }

    /// Whether the `api_keys` table has any row.
    public func hasAPIKeys() async throws -> Bool {
        try await read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM api_keys)") ?? false }
    }
}
