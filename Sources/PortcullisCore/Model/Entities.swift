/// A person who signs in and owns content. `password` is write-only: it never appears here.
public struct User: Sendable, Equatable, Codable {
    /// The user's id: client-chosen or generated (`usr_…`), never reused, even after deletion.
    public var id: String
    /// The email in its stored form: trimmed and lowercased (full Unicode) by `Validate.email` when a request or import line is read.
    public var email: String
    /// A name for people to read; may be empty.
    public var displayName: String
    /// An administrator is allowed every action on every live resource (rule 3) and may use the management API.
    public var isAdmin: Bool
    /// `disabled` users cannot sign in and are denied everything (`user_inactive`), like deleted ones.
    public var status: UserStatus
    /// When the user was created: an RFC 3339 UTC timestamp (`Timestamp`), or the imported one.
    public var createdAt: String
    /// When the user was soft-deleted; nil for a live user. A deleted user keeps their row, so their id stays taken.
    public var deletedAt: String?

    /// A user as the store returns it; to create one, pass a `NewUser` to `UserStore.createUser(_:passwordHash:)`.
    public init(id: String, email: String, displayName: String, isAdmin: Bool, status: UserStatus, createdAt: String, deletedAt: String? = nil) {
        self.id = id
        self.email = email
        self.displayName = displayName
        self.isAdmin = isAdmin
        self.status = status
        self.createdAt = createdAt
        self.deletedAt = deletedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, email, displayName = "display_name", isAdmin = "is_admin", status, createdAt = "created_at", deletedAt = "deleted_at"
    }
}

/// Whether a user may act: only `active` users sign in and are granted anything.
public enum UserStatus: String, Sendable, Codable, CaseIterable {
    /// `active` (the default) or `disabled` (kept, but denied everything; disabling ends the user's sessions).
    case active, disabled
}

/// A group of users whose members share projects according to their role.
public struct Team: Sendable, Equatable, Codable {
    /// The team's id: client-chosen or generated (`team_…`), never reused.
    public var id: String
    /// The team's display name.
    public var name: String
    /// The owning user, who holds a membership with role `owner` (created with the team, given to a new owner on change).
    public var ownerId: String
    /// When the team was created (RFC 3339 UTC).
    public var createdAt: String
    /// When the team was soft-deleted; nil while live. A deleted team's memberships grant nothing.
    public var deletedAt: String?

    /// A team as the store returns it; to create one, pass a `NewTeam` to `TeamStore.createTeam(_:)`.
    public init(id: String, name: String, ownerId: String, createdAt: String, deletedAt: String? = nil) {
        self.id = id
        self.name = name
        self.ownerId = ownerId
        self.createdAt = createdAt
        self.deletedAt = deletedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, ownerId = "owner_id", createdAt = "created_at", deletedAt = "deleted_at"
    }
}

/// A user's membership of a team: a role, optional extra actions, and whether it is active.
public struct TeamMember: Sendable, Equatable, Codable {
    /// The team.
    public var teamId: String
    /// The member.
    public var userId: String
    /// What the membership grants on the team's shared projects, their generations and the team (see `TeamRole`).
    public var role: TeamRole
    /// Extra actions beyond the role's, on the team's shared projects and their generations (only `Action.grantable` ones).
    public var permissions: [Action]
    /// An inactive membership is kept but grants nothing.
    public var isActive: Bool
    /// When the membership was first created; replacing it keeps this date.
    public var createdAt: String
    /// When the membership starts to grant (RFC 3339 UTC, milliseconds); nil: from its creation. Before it, the
    /// membership grants nothing.
    public var startsAt: String?
    /// When the membership stops granting (RFC 3339 UTC, milliseconds); nil: never. At and after it, it grants nothing.
    public var expiresAt: String?

    /// A membership as the store returns it; to create or replace one, use `TeamStore.putMember(teamId:userId:_:)`.
    public init(teamId: String, userId: String, role: TeamRole, permissions: [Action], isActive: Bool, createdAt: String,
                startsAt: String? = nil, expiresAt: String? = nil) {
        self.teamId = teamId
        self.userId = userId
        self.role = role
        self.permissions = permissions
        self.isActive = isActive
        self.createdAt = createdAt
        self.startsAt = startsAt
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case teamId = "team_id", userId = "user_id", role, permissions, isActive = "is_active", createdAt = "created_at"
        case startsAt = "starts_at", expiresAt = "expires_at"
    }
}

extension TeamMember {
    /// The membership `input` describes, as stored: its bounds in the API's RFC 3339 form (with milliseconds).
    public init(_ input: MembershipInput, teamId: String, userId: String, createdAt: String) {
        self.init(teamId: teamId, userId: userId, role: input.role, permissions: input.permissions, isActive: input.isActive,
                  createdAt: createdAt, startsAt: input.startsAt.map { Timestamp.format(epochMilliseconds: $0) },
                  expiresAt: input.expiresAt.map { Timestamp.format(epochMilliseconds: $0) })
    }
}

/// A member's role. What each role grants is data, the `role_grants` table seeded by the first migration, not code.
public enum TeamRole: String, Sendable, Codable, CaseIterable {
    /// `owner` and `admin`: every action on the team's shared projects and generations, and `manage_members`;
    /// `editor`: read, update and download generations, read projects and create generations in them;
    /// `viewer`: read and download generations, read projects. Every role may read the team.
    case owner, admin, editor, viewer
}

/// A container of generations, private to its owner, shared with a team, or public.
public struct Project: Sendable, Equatable, Codable {
    /// The project's id: client-chosen or generated (`prj_…`), never reused.
    public var id: String
    /// The project's display name.
    public var name: String
    /// The owning user, allowed every action on the project and its generations (rule 5).
    public var ownerId: String
    /// The team the project is shared with, if any; its memberships count only when `visibility` is not `private`.
    public var teamId: String?
    /// Who besides the owner may act on the project (see `Visibility`).
    public var visibility: Visibility
    /// When the project was created (RFC 3339 UTC).
    public var createdAt: String
    /// When the project was soft-deleted; nil while live. Decisions treat the generations of a deleted project as absent too.
    public var deletedAt: String?

    /// A project as the store returns it; to create one, pass a `NewProject` to `ProjectStore.createProject(_:)`.
    public init(id: String, name: String, ownerId: String, teamId: String?, visibility: Visibility, createdAt: String, deletedAt: String? = nil) {
        self.id = id
        self.name = name
        self.ownerId = ownerId
        self.teamId = teamId
        self.visibility = visibility
        self.createdAt = createdAt
        self.deletedAt = deletedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, ownerId = "owner_id", teamId = "team_id", visibility, createdAt = "created_at", deletedAt = "deleted_at"
    }
}

/// Who besides its owner may act on a project and its generations.
public enum Visibility: String, Sendable, Codable, CaseIterable {
    /// `private`: the owner (and administrators) only, team memberships count for nothing; `team`: also the team's members,
    /// as their role and permissions allow; `public`: as `team`, and every active user may read it (and read and download its generations).
    case `private`, team, `public`
}

/// A piece of media produced for a user, optionally inside a project.
public struct Generation: Sendable, Equatable, Codable {
    /// The generation's id: client-chosen or generated (`gen_…`), never reused.
    public var id: String
    /// The user who owns the generation, allowed every action on it (rule 4).
    public var ownerId: String
    /// The project the generation belongs to; nil for a generation in no project (then only its owner and administrators reach it).
    public var projectId: String?
    /// Where the generation's production stands; it does not affect decisions.
    public var status: GenerationStatus
    /// The media file's path under the media root (`Validate.mediaKey`), which signed media URLs name; nil before there is one.
    public var mediaKey: String?
    /// When the generation was created (RFC 3339 UTC).
    public var createdAt: String
    /// When the generation was soft-deleted; nil while live.
    public var deletedAt: String?

    /// A generation as the store returns it; to create one, pass a `NewGeneration` to `GenerationStore.createGeneration(_:)`.
    public init(
        id: String, ownerId: String, projectId: String?, status: GenerationStatus, mediaKey: String?, createdAt: String, deletedAt: String? = nil
    ) {
        self.id = id
        self.ownerId = ownerId
        self.projectId = projectId
        self.status = status
        self.mediaKey = mediaKey
        self.createdAt = createdAt
        self.deletedAt = deletedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, ownerId = "owner_id", projectId = "project_id", status, mediaKey = "media_key", createdAt = "created_at", deletedAt = "deleted_at"
    }
}

/// The production state of a generation, stored and reported; decisions do not look at it.
public enum GenerationStatus: String, Sendable, Codable, CaseIterable {
    /// `pending` (the default at creation), `running`, `completed` or `failed`.
    case pending, running, completed, failed
}

/// A service credential. The secret itself is shown once at creation and stored only as a hash.
public struct APIKey: Sendable, Equatable, Codable {
    /// The key's id (`key_…`), used to list and revoke it; not a secret.
    public var id: String
    /// A label for people (e.g. `admin (admin.key)` for the bootstrap key).
    public var name: String
    /// What the key may reach (see `APIKeyScope`).
    public var scopes: [APIKeyScope]
    /// When the key was created (RFC 3339 UTC).
    public var createdAt: String
    /// When the key last authenticated a request, to the minute (updated at most once a minute; not a write).
    public var lastUsedAt: String?
    /// Where the key came from; decides whether `PORTCULLIS_ADMIN_KEY` may replace it.
    public var source: APIKeySource
    /// When the key stops authenticating (RFC 3339 UTC, milliseconds); nil: never.
    public var expiresAt: String?

    /// A key's public description as the store returns it; to create one, use `APIKeyStore.createAPIKey(name:scopes:secret:source:)`.
    public init(id: String, name: String, scopes: [APIKeyScope], createdAt: String, lastUsedAt: String? = nil, source: APIKeySource = .api,
                expiresAt: String? = nil) {
        self.id = id
        self.name = name
        self.scopes = scopes
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.source = source
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, scopes, createdAt = "created_at", lastUsedAt = "last_used_at", source, expiresAt = "expires_at"
    }

    /// Writes every field, `last_used_at: null` and `expires_at: null` included, so every key has the same JSON shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(scopes, forKey: .scopes)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(lastUsedAt, forKey: .lastUsedAt)
        try container.encode(source, forKey: .source)
        try container.encode(expiresAt, forKey: .expiresAt)
    }
}

/// Where an API key came from.
public enum APIKeySource: String, Sendable, Codable, CaseIterable {
    /// Created at the first start and written to `<data-dir>/admin.key`.
    case bootstrap
    /// Registered from `PORTCULLIS_ADMIN_KEY`; replaced when the variable changes between starts.
    case environment
    /// Created through `POST /api/v1/api-keys`.
    case api
}

/// What an API key may do: `authz` reaches the authorization endpoints, `admin` reaches everything.
public enum APIKeyScope: String, Sendable, Codable, CaseIterable {
    /// `authz`: the authorization endpoints (check, batch, listings), about any user; `admin`: everything, management included.
    case authz, admin
}
