import Logging
import PortcullisModel
import PostgresNIO
import Synchronization

/// The media signing keys in the shared database (`schema/postgres/0003_signing_keys.sql`), so that any node verifies a
/// URL any node signed (SPEC 8.4).
///
/// Only the statements: which key to trust and when to read again is `SigningKeyring`'s (its PostgreSQL storage, in
/// the core). Writes lock the one `signing_key_state` row (`FOR UPDATE`) for their transaction, so writes of several
/// nodes run one after another: the first key is created exactly once however many nodes start together, every
/// rotation's key survives with exactly one active, and `version` advances exactly once per change — the signal other
/// nodes poll. Reads are one statement each (one snapshot: the version always matches the keys it comes with).
///
/// Writes and reads made from synchronous callers wait on the store's reader connections (`PostgresSnapshotPool`:
/// refused on an event-loop thread); the polls, `polledVersion()` and `polledSnapshot()`, use the store's client.
public final class PostgresSigningKeys: Sendable {
    /// One key as the table stores it (the secret base64url, as the file stores it).
    public struct Record: Sendable, Equatable {
        /// The key id URLs carry.
        public var kid: String
        /// The HMAC secret, base64url.
        public var secret: String
        /// When the key was made (RFC 3339 UTC).
        public var createdAt: String
        /// Whether the key was retired (it then verifies nothing).
        public var retired: Bool

        /// A key from its parts.
        public init(kid: String, secret: String, createdAt: String, retired: Bool) {
            self.kid = kid
            self.secret = secret
            self.createdAt = createdAt
            self.retired = retired
        }
    }

    /// The keys as one statement read them.
    public struct Snapshot: Sendable, Equatable {
        /// Advanced by every change; equal versions mean equal keys.
        public var version: Int64
        /// The key that signs; nil only before the first key was created.
        public var active: String?
        /// Every key, retired ones included, in the order they were added.
        public var keys: [Record]
    }

    /// The store whose database holds the keys.
    public let store: PostgresStore
    /// Statements sent to the database (reads and writes), for tests that bound how often a node reads.
    public var statementCount: Int { statements.load(ordering: .relaxed) }
    private let statements = Atomic<Int>(0)

    /// The keys of `store`'s database (its migrations, 0003 included, are applied when it opens).
    public init(store: PostgresStore) {
        self.store = store
    }

    private static let snapshotSQL = """
        SELECT s.version, s.active, k.kid, k.secret, k.created_at, k.retired
        FROM signing_key_state s LEFT JOIN signing_keys k ON TRUE
        WHERE s.id = 1 ORDER BY k.position
        """
    private static let versionSQL = "SELECT version FROM signing_key_state WHERE id = 1"
    private static let lockSQL = "SELECT active FROM signing_key_state WHERE id = 1 FOR UPDATE"

    // MARK: Reads

    /// Every key and the version they are at, waiting on a reader connection.
    /// - Throws: `store_unavailable` or `store_error` (also on an event-loop thread).
    public func snapshot() throws -> Snapshot {
        try Self.snapshot(from: try synchronous { connection, logger in
            try PostgresSnapshotPool.rows(connection, Self.snapshotSQL, .of(), logger: logger)
        })
    }

    /// Every key and the version they are at, through the store's client (what a poll reads when the version moved).
    public func polledSnapshot() async throws -> Snapshot {
        statements.add(1, ordering: .relaxed)
        let logger = store.logger
        return try Self.snapshot(from: try await store.read { connection in
            try await PostgresStore.query(connection, Self.snapshotSQL, logger: logger)
        })
    }

    /// The version alone: what a node polls to learn whether to read the keys again.
    public func polledVersion() async throws -> Int64 {
        statements.add(1, ordering: .relaxed)
        let logger = store.logger
        let rows = try await store.read { connection in try await PostgresStore.query(connection, Self.versionSQL, logger: logger) }
        guard let row = rows.first else { throw PortcullisError(.storeError, "the signing_key_state row is missing") }
        var columns = PostgresColumns(row)
        return try columns.next(Int64.self)
    }

    private static func snapshot(from rows: [PostgresRow]) throws -> Snapshot {
        guard !rows.isEmpty else { throw PortcullisError(.storeError, "the signing_key_state row is missing") }
        var snapshot = Snapshot(version: 0, active: nil, keys: [])
        for row in rows {
            var columns = PostgresColumns(row)
            snapshot.version = try columns.next(Int64.self)
            snapshot.active = try columns.next(String?.self)
            let kid = try columns.next(String?.self)
            let secret = try columns.next(String?.self)
            let createdAt = try columns.next(String?.self)
            let retired = try columns.next(Bool?.self)
            if let kid, let secret, let createdAt, let retired {
                snapshot.keys.append(Record(kid: kid, secret: secret, createdAt: createdAt, retired: retired))
            }
        }
        return snapshot
    }

    // MARK: Writes

    /// Makes `key` the first key when there is none yet; returns whether it did. Nodes starting together on an empty
    /// table create exactly one key: the first to lock the state row creates it, the others then find it.
    @discardableResult
    public func createFirstKey(_ key: Record) throws -> Bool {
        try transaction { run in
            guard try Self.lockedActive(run) == nil else { return false }
            try Self.insert(key, run)
            _ = try run("UPDATE signing_key_state SET version = version + 1, active = $1 WHERE id = 1", .of(key.kid))
            return true
        }
    }

    /// Adds `key` and makes it the active key; every earlier key keeps its state.
    public func rotate(adding key: Record) throws {
        try transaction { run in
            _ = try Self.lockedActive(run)
            try Self.insert(key, run)
            _ = try run("UPDATE signing_key_state SET version = version + 1, active = $1 WHERE id = 1", .of(key.kid))
        }
    }

    /// Retires a key and returns it: `not_found` for an unknown key id, `conflict` for the active key; retiring a
    /// retired key changes nothing (the version stays).
    public func retire(kid: String) throws -> Record {
        try transaction { run in
            let active = try Self.lockedActive(run)
            let rows = try run("SELECT kid, secret, created_at, retired FROM signing_keys WHERE kid = $1", .of(kid))
            guard let row = rows.first else { throw PortcullisError.notFound("signing key", kid) }
            var columns = PostgresColumns(row)
            var key = Record(kid: try columns.next(), secret: try columns.next(), createdAt: try columns.next(), retired: try columns.next())
            guard active != kid else { throw PortcullisError(.conflict, "'\(kid)' is the active key; rotate before retiring it") }
            guard !key.retired else { return key }
            _ = try run("UPDATE signing_keys SET retired = TRUE WHERE kid = $1", .of(kid))
            _ = try run("UPDATE signing_key_state SET version = version + 1 WHERE id = 1", .of())
            key.retired = true
            return key
        }
    }

    /// The active key id, with the state row locked until the transaction ends.
    private static func lockedActive(_ run: (String, PostgresBindings) throws -> [PostgresRow]) throws -> String? {
        guard let row = try run(lockSQL, .of()).first else { throw PortcullisError(.storeError, "the signing_key_state row is missing") }
        var columns = PostgresColumns(row)
        return try columns.next(String?.self)
    }

    private static func insert(_ key: Record, _ run: (String, PostgresBindings) throws -> [PostgresRow]) throws {
        _ = try run("INSERT INTO signing_keys (kid, secret, created_at, retired) VALUES ($1, $2, $3, $4)",
                    .of(key.kid, key.secret, key.createdAt, key.retired))
    }

    // MARK: Connections

    /// Runs `body` on a reader connection, counting its statements.
    private func synchronous<T>(_ body: (PostgresConnection, Logger) throws -> T) throws -> T {
        statements.add(1, ordering: .relaxed)
        let logger = store.logger
        do {
            return try store.readers.withConnection { connection in try body(connection, logger) }
        } catch {
            throw PostgresStore.mapped(error)
        }
    }

    /// Runs `body` in one transaction on a reader connection: committed when it returns, rolled back when it throws.
    private func transaction<T>(_ body: ((String, PostgresBindings) throws -> [PostgresRow]) throws -> T) throws -> T {
        let logger = store.logger
        do {
            return try store.readers.withConnection { connection in
                func run(_ sql: String, _ binds: PostgresBindings) throws -> [PostgresRow] {
                    self.statements.add(1, ordering: .relaxed)
                    return try PostgresSnapshotPool.rows(connection, sql, binds, logger: logger)
                }
                _ = try run("BEGIN", .of())
                do {
                    let value = try body(run)
                    _ = try run("COMMIT", .of())
                    return value
                } catch {
                    _ = try? run("ROLLBACK", .of())
                    throw error
                }
            }
        } catch {
            throw PostgresStore.mapped(error)
        }
    }
}
