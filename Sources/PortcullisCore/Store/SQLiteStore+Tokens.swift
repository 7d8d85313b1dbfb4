import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite
import Foundation
import GRDB

/// Sign-in tokens. Signing in and out are writes like any other: they advance the revision, and logout moves the
/// token owner's version so a cached identity for the token is never served again.
extension SQLiteStore: SessionStore, CredentialStore {
    static let tokenUserQuery = StatementKey(tokenUserSQL)
    static let membershipsQuery = StatementKey(membershipsSQL)
    static let tokenUserSQL = """
        SELECT t.user_id, u.is_admin, t.expires_at FROM user_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = ?1 AND t.expires_at > ?2 AND u.status = 'active' AND u.deleted_at IS NULL
        """

    static let membershipsSQL = """
        SELECT m.team_id, t.name, m.role, m.starts_at, m.expires_at FROM team_members m
        JOIN teams t ON t.id = m.team_id AND t.deleted_at IS NULL
        WHERE m.user_id = ?1 AND m.is_active = 1 AND (m.expires_at IS NULL OR m.expires_at > ?2) ORDER BY m.team_id
        """

    /// Inserts the token, first deleting every expired one (by the system clock), so the table holds live sessions only.
    /// A write like any other (the revision advances), but it moves no version: a new token has nothing cached.
    public func createToken(userId: String, hash: [UInt8], expiresAt: Int64) async throws {
        let now = WallClock.system.milliseconds() / 1000
        _ = try await write { db, _, _ in
            // Expired tokens are swept on sign-in, so the table holds live sessions only.
            try db.execute(sql: "DELETE FROM user_tokens WHERE expires_at <= ?", arguments: [now])
            try db.execute(sql: "INSERT INTO user_tokens (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                           arguments: [Data(hash), userId, WallClock.system.timestamp(), expiresAt])
        }
    }

    /// Deletes the token and moves its owner's `user:` version. Even for an unknown token the revision advances.
    @discardableResult
    public func deleteToken(hash: [UInt8]) async throws -> Bool {
        try await write { db, changed, _ in
            // Logout moves the owner's version rather than one per token: a per-token version would be a key
            // kept forever for every logout. The owner's cached answers are recomputed once, which logouts can afford.
            if let owner = try String.fetchOne(db, sql: "SELECT user_id FROM user_tokens WHERE token_hash = ?", arguments: [Data(hash)]) {
                changed.append(.user(owner))
            }
            try db.execute(sql: "DELETE FROM user_tokens WHERE token_hash = ?", arguments: [Data(hash)])
            return db.changesCount > 0
        }.value
    }

    /// Deletes every token of the user and moves `user:<id>`.
    @discardableResult
    public func endSessions(userId: String) async throws -> Int64 {
        try await write { db, changed, _ in
            try Self.endSessions(db, userId: userId)
            changed.append(.user(userId))
        }.revision
    }

    /// One indexed lookup on the reader pool, joined with the user so a disabled or deleted user's token finds nothing.
    public func tokenUser(hash: [UInt8], now: Int64) throws -> TokenUser? {
        try readers.withConnection { connection throws(PortcullisError) in
            let statement = try connection.statement(Self.tokenUserQuery)
            statement.bind(1, hash)
            statement.bind(2, now)
            guard try statement.step() else { return nil }
            return TokenUser(userId: statement.text(0) ?? "", isAdmin: statement.bool(1), expiresAt: statement.int64(2))
        }
    }

    /// The user and their memberships from one read transaction, on the reader pool: `/me` reads it on every miss.
    public func profile(userId: String, now: Int64) throws -> Profile? {
        try readers.read { connection throws(PortcullisError) -> Profile? in
            guard let user = try Self.liveUser(userId, on: connection) else { return nil }
            let statement = try connection.statement(Self.membershipsQuery)
            statement.bind(1, userId)
            statement.bind(2, now)
            var memberships: [UserMembership] = []
            func instant(_ column: Int32) -> String? {
                statement.isNull(column) ? nil : Timestamp.format(epochMilliseconds: statement.int64(column))
            }
            while try statement.step() {
                memberships.append(UserMembership(teamId: statement.text(0) ?? "", name: statement.text(1) ?? "",
                                                  role: TeamRole(rawValue: statement.text(2) ?? "") ?? .viewer,
                                                  startsAt: instant(3), expiresAt: instant(4)))
            }
            return Profile(user: user, teams: memberships)
        }
    }
}
