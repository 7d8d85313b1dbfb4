import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite

/// The user behind a live sign-in token.
public struct TokenUser: Sendable, Equatable {
    /// The token's user.
    public var userId: String
    /// Whether the user was an administrator when the token was looked up.
    public var isAdmin: Bool
    /// Unix seconds.
    public var expiresAt: Int64

    /// A token's user as a backend reads it; `expiresAt` in Unix seconds.
    public init(userId: String, isAdmin: Bool, expiresAt: Int64) {
        self.userId = userId
        self.isAdmin = isAdmin
        self.expiresAt = expiresAt
    }
}

/// What sign-in checks a password against.
public struct UserCredentials: Sendable, Equatable {
    /// The live user the email belongs to.
    public var user: User
    /// Nil when the user has no password (they cannot sign in).
    public var passwordHash: String?

    /// Credentials as a backend reads them.
    public init(user: User, passwordHash: String?) {
        self.user = user
        self.passwordHash = passwordHash
    }
}

/// A user and their active memberships of live teams, read together (`GET /api/v1/me`).
public struct Profile: Sendable, Equatable {
    /// The live user.
    public var user: User
    /// The user's active memberships of live teams that have not expired (pending ones included), in team id order.
    public var teams: [UserMembership]

    /// A profile as a backend reads it.
    public init(user: User, teams: [UserMembership]) {
        self.user = user
        self.teams = teams
    }
}

/// A team as `/api/v1/me` shows it.
public struct UserMembership: Sendable, Equatable, Codable {
    /// The team's id.
    public var teamId: String
    /// The team's name.
    public var name: String
    /// The user's role in it.
    public var role: TeamRole
    /// When the membership starts to grant, if it has not always (RFC 3339); a pending membership is listed with it.
    public var startsAt: String?
    /// When it stops granting, if ever (RFC 3339); an expired membership is not listed.
    public var expiresAt: String?

    /// One line of the profile.
    public init(teamId: String, name: String, role: TeamRole, startsAt: String? = nil, expiresAt: String? = nil) {
        self.teamId = teamId
        self.name = name
        self.role = role
        self.startsAt = startsAt
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case teamId = "team_id", name, role, startsAt = "starts_at", expiresAt = "expires_at"
    }
}

/// The credential reads of the request path: who is behind a key or token, sign-in, `/me`.
///
/// Synchronous on purpose, like `AuthorizationStore`: each is one or two indexed lookups of a few microseconds,
/// less than the hop an `await` would cost, and they run on every authenticated request.
///
/// ```swift
/// let bearer = UserTokenSecret(token: presented)
/// if let user = try store.tokenUser(hash: bearer.hash, now: WallClock.system.seconds()) {
///     // user.userId, user.isAdmin; the token expires at user.expiresAt (Unix seconds)
/// }
/// ```
public protocol CredentialStore: Sendable {
    /// The key whose SHA-256 this is, or nil.
    func apiKey(hash: [UInt8]) throws -> APIKey?
    /// The user behind a live token (not expired at `now`, Unix seconds) whose user is active and not deleted, or nil.
    func tokenUser(hash: [UInt8], now: Int64) throws -> TokenUser?
    /// The live user with this email (compared in its stored, normalized form) and their password hash, or nil.
    func userCredentials(email: String) throws -> UserCredentials?
    /// A live user and their active memberships of live teams not expired at `now` (Unix milliseconds), from one
    /// snapshot; nil when the user is absent.
    func profile(userId: String, now: Int64) throws -> Profile?
}
