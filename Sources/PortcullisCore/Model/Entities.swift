/// A person who signs in and owns content. `password` is write-only: it never appears here.
public struct User: Sendable, Equatable, Codable {
    public var id: String
    public var email: String
    public var displayName: String
    public var isAdmin: Bool
    public var status: UserStatus
    public var createdAt: String
    public var deletedAt: String?

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

public enum UserStatus: String, Sendable, Codable, CaseIterable {
    case active, disabled
}

/// A group of users whose members share projects according to their role.
public struct Team: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var ownerId: String
    public var createdAt: String
    public var deletedAt: String?

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
    public var teamId: String
    public var userId: String
    public var role: TeamRole
    public var permissions: [Action]
    public var isActive: Bool
    public var createdAt: String

    public init(teamId: String, userId: String, role: TeamRole, permissions: [Action], isActive: Bool, createdAt: String) {
        self.teamId = teamId
        self.userId = userId
        self.role = role
        self.permissions = permissions
        self.isActive = isActive
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case teamId = "team_id", userId = "user_id", role, permissions, isActive = "is_active", createdAt = "created_at"
    }
}

public enum TeamRole: String, Sendable, Codable, CaseIterable {
    case owner, admin, editor, viewer
}

/// A container of generations, private to its owner, shared with a team, or public.
public struct Project: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var ownerId: String
    public var teamId: String?
    public var visibility: Visibility
    public var createdAt: String
    public var deletedAt: String?

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

public enum Visibility: String, Sendable, Codable, CaseIterable {
    case `private`, team, `public`
}

/// A piece of media produced for a user, optionally inside a project.
public struct Generation: Sendable, Equatable, Codable {
    public var id: String
    public var ownerId: String
    public var projectId: String?
    public var status: GenerationStatus
    public var mediaKey: String?
    public var createdAt: String
    public var deletedAt: String?

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

public enum GenerationStatus: String, Sendable, Codable, CaseIterable {
    case pending, running, completed, failed
}

/// A service credential. The secret itself is shown once at creation and stored only as a hash.
public struct APIKey: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var scopes: [APIKeyScope]
    public var createdAt: String
    /// When the key last authenticated a request, to the minute (updated at most once a minute; not a write).
    public var lastUsedAt: String?
    public var source: APIKeySource

    public init(id: String, name: String, scopes: [APIKeyScope], createdAt: String, lastUsedAt: String? = nil, source: APIKeySource = .api) {
        self.id = id
        self.name = name
        self.scopes = scopes
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case id, name, scopes, createdAt = "created_at", lastUsedAt = "last_used_at", source
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(scopes, forKey: .scopes)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(lastUsedAt, forKey: .lastUsedAt)
        try container.encode(source, forKey: .source)
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
    case authz, admin
}
