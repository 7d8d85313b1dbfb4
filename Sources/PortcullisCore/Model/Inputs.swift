/// Validated input for creating a user. The password arrives in clear and leaves here only as a hash.
public struct NewUser: Sendable {
    public var id: String?
    public var email: String
    public var displayName: String
    public var password: String?
    /// A PHC string to store as is (import of users from another system).
    public var passwordHash: String?
    public var isAdmin: Bool
    public var status: UserStatus
    public var createdAt: String?
    public var deletedAt: String?

    public init(id: String? = nil, email: String, displayName: String = "", password: String? = nil, passwordHash: String? = nil,
                isAdmin: Bool = false, status: UserStatus = .active, createdAt: String? = nil, deletedAt: String? = nil) {
        self.id = id
        self.email = email
        self.displayName = displayName
        self.password = password
        self.passwordHash = passwordHash
        self.isAdmin = isAdmin
        self.status = status
        self.createdAt = createdAt
        self.deletedAt = deletedAt
    }

    /// Reads a create request; `importing` also accepts `created_at`, `deleted_at` and `password_hash`.
    public init(_ fields: inout FieldReader, importing: Bool = false) throws(PortcullisError) {
        id = try fields.id("id")
        email = try Validate.email(fields.requiredString("email", maxLength: 320))
        displayName = try fields.text("display_name", maxLength: 256) ?? ""
        password = try fields.string("password", maxLength: 1024).map(Validate.password)
        isAdmin = try fields.bool("is_admin") ?? false
        status = try fields.enumeration("status", UserStatus.self) ?? .active
        if importing {
            passwordHash = try fields.string("password_hash", maxLength: 1024)
            if passwordHash != nil && password != nil { throw .invalidField("password_hash", "give either password or password_hash") }
            createdAt = try fields.string("created_at").map { ts throws(PortcullisError) in try Validate.timestamp(ts, field: "created_at") }
            deletedAt = try fields.string("deleted_at").map { ts throws(PortcullisError) in try Validate.timestamp(ts, field: "deleted_at") }
        }
    }
}

public struct UserPatch: Sendable {
    public var email: String?
    public var displayName: String?
    public var password: String?
    public var isAdmin: Bool?
    public var status: UserStatus?

    public init(email: String? = nil, displayName: String? = nil, password: String? = nil, isAdmin: Bool? = nil, status: UserStatus? = nil) {
        self.email = email
        self.displayName = displayName
        self.password = password
        self.isAdmin = isAdmin
        self.status = status
    }

    public init(_ fields: inout FieldReader) throws(PortcullisError) {
        email = try fields.string("email", maxLength: 320).map(Validate.email)
        displayName = try fields.text("display_name", maxLength: 256)
        password = try fields.string("password", maxLength: 1024).map(Validate.password)
        isAdmin = try fields.bool("is_admin")
        status = try fields.enumeration("status", UserStatus.self)
    }
}

public struct NewTeam: Sendable {
    public var id: String?
    public var name: String
    public var ownerId: String
    public var createdAt: String?
    public var deletedAt: String?

    public init(id: String? = nil, name: String, ownerId: String, createdAt: String? = nil, deletedAt: String? = nil) {
        self.id = id
        self.name = name
        self.ownerId = ownerId
        self.createdAt = createdAt
        self.deletedAt = deletedAt
    }

    public init(_ fields: inout FieldReader, importing: Bool = false) throws(PortcullisError) {
        id = try fields.id("id")
        name = try fields.requiredText("name", maxLength: 256)
        ownerId = try fields.requiredID("owner_id")
        if importing {
            createdAt = try fields.string("created_at").map { ts throws(PortcullisError) in try Validate.timestamp(ts, field: "created_at") }
            deletedAt = try fields.string("deleted_at").map { ts throws(PortcullisError) in try Validate.timestamp(ts, field: "deleted_at") }
        }
    }
}

public struct TeamPatch: Sendable {
    public var name: String?
    public var ownerId: String?

    public init(name: String? = nil, ownerId: String? = nil) {
        self.name = name
        self.ownerId = ownerId
    }

    public init(_ fields: inout FieldReader) throws(PortcullisError) {
        name = try fields.text("name", maxLength: 256)
        ownerId = try fields.id("owner_id")
    }
}

/// A membership to create or replace (`PUT /teams/{id}/members/{user_id}`).
public struct MembershipInput: Sendable {
    public var role: TeamRole
    public var permissions: [Action]
    public var isActive: Bool
    public var createdAt: String?

    public init(role: TeamRole, permissions: [Action] = [], isActive: Bool = true, createdAt: String? = nil) {
        self.role = role
        self.permissions = permissions
        self.isActive = isActive
        self.createdAt = createdAt
    }

    public init(_ fields: inout FieldReader, importing: Bool = false) throws(PortcullisError) {
        role = try fields.requiredEnumeration("role", TeamRole.self)
        permissions = try fields.enumerationList("permissions", Action.self) ?? []
        if let bad = permissions.first(where: { !Action.grantable.contains($0) }) {
            throw .invalidField("permissions", "\(bad.rawValue) is a team action; extra permissions apply to generations and projects")
        }
        isActive = try fields.bool("is_active") ?? true
        if importing {
            createdAt = try fields.string("created_at").map { ts throws(PortcullisError) in try Validate.timestamp(ts, field: "created_at") }
        }
    }
}

public struct NewProject: Sendable {
    public var id: String?
    public var name: String
    public var ownerId: String
    public var teamId: String?
    public var visibility: Visibility
    public var createdAt: String?
    public var deletedAt: String?

    public init(id: String? = nil, name: String, ownerId: String, teamId: String? = nil, visibility: Visibility = .private,
                createdAt: String? = nil, deletedAt: String? = nil) {
        self.id = id
        self.name = name
        self.ownerId = ownerId
        self.teamId = teamId
        self.visibility = visibility
        self.createdAt = createdAt
        self.deletedAt = deletedAt
    }

    public init(_ fields: inout FieldReader, importing: Bool = false) throws(PortcullisError) {
        id = try fields.id("id")
        name = try fields.requiredText("name", maxLength: 256)
        ownerId = try fields.requiredID("owner_id")
        teamId = try fields.id("team_id")
        visibility = try fields.enumeration("visibility", Visibility.self) ?? .private
        if importing {
            createdAt = try fields.string("created_at").map { ts throws(PortcullisError) in try Validate.timestamp(ts, field: "created_at") }
            deletedAt = try fields.string("deleted_at").map { ts throws(PortcullisError) in try Validate.timestamp(ts, field: "deleted_at") }
        }
    }
}

public struct ProjectPatch: Sendable {
    public var name: String?
    public var ownerId: String?
    /// `.some(nil)` takes the project out of its team.
    public var teamId: String??
    public var visibility: Visibility?

    public init(name: String? = nil, ownerId: String? = nil, teamId: String?? = .none, visibility: Visibility? = nil) {
        self.name = name
        self.ownerId = ownerId
        self.teamId = teamId
        self.visibility = visibility
    }

    public init(_ fields: inout FieldReader) throws(PortcullisError) {
        name = try fields.text("name", maxLength: 256)
        ownerId = try fields.id("owner_id")
        teamId = try fields.nullableID("team_id")
        visibility = try fields.enumeration("visibility", Visibility.self)
    }
}

public struct NewGeneration: Sendable {
    public var id: String?
    public var ownerId: String
    public var projectId: String?
    public var status: GenerationStatus
    public var mediaKey: String?
    public var createdAt: String?
    public var deletedAt: String?

    public init(id: String? = nil, ownerId: String, projectId: String? = nil, status: GenerationStatus = .pending, mediaKey: String? = nil,
                createdAt: String? = nil, deletedAt: String? = nil) {
        self.id = id
        self.ownerId = ownerId
        self.projectId = projectId
        self.status = status
        self.mediaKey = mediaKey
        self.createdAt = createdAt
        self.deletedAt = deletedAt
    }

    public init(_ fields: inout FieldReader, importing: Bool = false) throws(PortcullisError) {
        id = try fields.id("id")
        ownerId = try fields.requiredID("owner_id")
        projectId = try fields.id("project_id")
        status = try fields.enumeration("status", GenerationStatus.self) ?? .pending
        mediaKey = try fields.string("media_key", maxLength: Int.max).map(Validate.mediaKey)
        if importing {
            createdAt = try fields.string("created_at").map { ts throws(PortcullisError) in try Validate.timestamp(ts, field: "created_at") }
            deletedAt = try fields.string("deleted_at").map { ts throws(PortcullisError) in try Validate.timestamp(ts, field: "deleted_at") }
        }
    }
}

public struct GenerationPatch: Sendable {
    public var ownerId: String?
    public var projectId: String??
    public var status: GenerationStatus?
    public var mediaKey: String??

    public init(ownerId: String? = nil, projectId: String?? = .none, status: GenerationStatus? = nil, mediaKey: String?? = .none) {
        self.ownerId = ownerId
        self.projectId = projectId
        self.status = status
        self.mediaKey = mediaKey
    }

    /// Management patches may move ownership and set the media key; end users (`endUser`) may change only status and
    /// project: a media key names a file that signed URLs hand out, so setting one is 403 for them.
    public init(_ fields: inout FieldReader, endUser: Bool = false) throws(PortcullisError) {
        if endUser && fields.has("media_key") {
            throw PortcullisError(.forbidden, "media_key: only administrators may set a generation's media key")
        }
        ownerId = endUser ? nil : try fields.id("owner_id")
        projectId = try fields.nullableID("project_id")
        status = try fields.enumeration("status", GenerationStatus.self)
        switch try fields.nullableString("media_key", maxLength: Int.max) {
        case .none: mediaKey = .none
        case .some(nil): mediaKey = .some(nil)
        case .some(let key?): mediaKey = .some(try Validate.mediaKey(key))
        }
    }
}
