import Foundation
import NIOCore
import PortcullisModel
import PortcullisStore
import PostgresNIO

/// Sign-in tokens and the credential reads of the request path, as `SQLiteStore+Tokens` has them: signing in and out
/// are writes (the revision advances), and logout moves the token owner's version.
extension PostgresStore: SessionStore, CredentialStore {
    static let tokenUserSQL = """
        SELECT t.user_id, u.is_admin, t.expires_at FROM user_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = $1 AND t.expires_at > $2 AND u.status = 'active' AND u.deleted_at IS NULL
        """

    static let membershipsSQL = """
        SELECT m.team_id, t.name, m.role, m.starts_at, m.expires_at FROM team_members m
        JOIN teams t ON t.id = m.team_id AND t.deleted_at IS NULL
        WHERE m.user_id = $1 AND m.is_active AND (m.expires_at IS NULL OR m.expires_at > $2) ORDER BY m.team_id
        """

    static let userByIdSQL = "SELECT \(userColumns) FROM users WHERE id = $1 AND deleted_at IS NULL"

    static let userByEmailSQL = "SELECT \(userColumns), password_hash FROM users WHERE email = $1 AND deleted_at IS NULL"

    /// Inserts the token after deleting every expired one, so the table holds live sessions only. A write like any
    /// other (the revision advances) that moves no version: a new token has nothing cached.
    public func createToken(userId: String, hash: [UInt8], expiresAt: Int64) async throws {
        let now = WallClock.system.milliseconds() / 1000
        let logger = logger
        _ = try await write { connection, _, _ in
            try await Self.execute(connection, "DELETE FROM user_tokens WHERE expires_at <= $1", .of(now), logger: logger)
            try await Self.execute(connection, "INSERT INTO user_tokens (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                                   .of(ByteBuffer(bytes: hash), userId, WallClock.system.timestamp(), expiresAt), logger: logger)
        }
    }

    /// Deletes the token and moves its owner's `user:` version. Even for an unknown token the revision advances.
    @discardableResult
    public func deleteToken(hash: [UInt8]) async throws -> Bool {
        let logger = logger
        return try await write { connection, changed, _ in
            let rows = try await Self.query(connection, "DELETE FROM user_tokens WHERE token_hash = $1 RETURNING user_id",
                                            .of(ByteBuffer(bytes: hash)), logger: logger)
            guard let row = rows.first else { return false }
            changed.append(.user(try row.decode(String.self)))
            return true
        }.value
    }

    /// Deletes every token of the user and moves `user:<id>`.
    @discardableResult
    public func endSessions(userId: String) async throws -> Int64 {
        let logger = logger
        return try await write { connection, changed, _ in
            try await Self.endSessions(connection, userId: userId, logger: logger)
            changed.append(.user(userId))
        }.revision
    }

    /// One indexed lookup, joined with the user so a disabled or deleted user's token finds nothing.
    public func tokenUser(hash: [UInt8], now: Int64) throws -> TokenUser? {
        let logger = logger
        let rows = try readers.withConnection { connection in
            try PostgresSnapshotPool.rows(connection, Self.tokenUserSQL, .of(ByteBuffer(bytes: hash), now), logger: logger)
        }
        guard let row = rows.first else { return nil }
        var columns = PostgresColumns(row)
        return TokenUser(userId: try columns.next(), isAdmin: try columns.next(), expiresAt: try columns.next())
    }

    /// Normalizes `email` (nil for one with control or invisible characters) and looks the live user up by it.
    public func userCredentials(email: String) throws -> UserCredentials? {
        guard let email = try? Validate.normalizedEmail(email) else { return nil }
        let logger = logger
        let rows = try readers.withConnection { connection in
            try PostgresSnapshotPool.rows(connection, Self.userByEmailSQL, .of(email), logger: logger)
        }
        guard let row = rows.first else { return nil }
        var columns = PostgresColumns(row)
        columns.skip(7)  // the user's columns, read by `user(_:)`
        return UserCredentials(user: try Self.user(row), passwordHash: try columns.next())
    }

    /// The user and their memberships from one REPEATABLE READ transaction.
    public func profile(userId: String, now: Int64) throws -> Profile? {
        let logger = logger
        return try readers.withConnection { connection in
            try Self.inReadTransaction(connection, logger: logger) { () throws -> Profile? in
                guard let row = try PostgresSnapshotPool.rows(connection, Self.userByIdSQL, .of(userId), logger: logger).first else { return nil }
                let memberships = try PostgresSnapshotPool.rows(connection, Self.membershipsSQL, .of(userId, now), logger: logger).map { row in
                    var columns = PostgresColumns(row)
                    let teamId: String = try columns.next(), name: String = try columns.next(), role: String = try columns.next()
                    let startsAt: Int64? = try columns.next(), expiresAt: Int64? = try columns.next()
                    return UserMembership(teamId: teamId, name: name, role: TeamRole(rawValue: role) ?? .viewer,
                                          startsAt: startsAt.map { Timestamp.format(epochMilliseconds: $0) },
                                          expiresAt: expiresAt.map { Timestamp.format(epochMilliseconds: $0) })
                }
                return Profile(user: try Self.user(row), teams: memberships)
            }
        }
    }
}
