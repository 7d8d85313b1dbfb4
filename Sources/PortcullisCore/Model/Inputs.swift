/// Validated input for creating a user. The password arrives in clear and leaves here only as a hash.
public struct NewUser: Sendable {
    /// The id to create the user under; nil lets the store generate one (`usr_…`). A taken id, even a deleted user's, is 409.
    public var id: String?
    /// The email; `init(_:importing:)` has validated and normalized it (`Validate.email`), the memberwise init does neither.
    public var email: String
    /// A name for people to read; empty when not given.
    public var displayName: String
    /// The password in clear, at least 8 characters. The store never reads it: the caller hashes it (`PasswordHasher`) and
    /// passes the hash to `UserStore.createUser(_:passwordHash:)`. With neither a password nor a hash, the user cannot sign in.
    public var password: String?
    /// A PHC string to store as is (import of users from another system).
    public var passwordHash: String?
    /// Whether the user is an administrator; false by default.
    public var isAdmin: Bool
    /// `active` by default.
    public var status: UserStatus
    /// Import only: the creation time to keep (RFC 3339 UTC); nil lets the store stamp the current time.
    public var createdAt: String?
    /// Import only: the user arrives already deleted (their email is then not checked for uniqueness).
    public var deletedAt: String?

    /// A user to create, built in code (tests, the demo); nothing is validated here.
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

/// Validated changes to a user (`PATCH /api/v1/users/{id}`): a nil field stays as it is.
public struct UserPatch: Sendable {
    /// A new email, validated and normalized; 409 when another live user has it.
    public var email: String?
    /// A new display name.
    public var displayName: String?
    /// A new password in clear. The store never reads it: the caller passes its hash to `UserStore.updateUser(_:_:passwordHash:)`,
    /// which then ends every session of the user.
    public var password: String?
    /// Grants or revokes administrator rights.
    public var isAdmin: Bool?
    /// A new status; a patch that leaves the user `disabled` ends their sessions.
    public var status: UserStatus?

    /// A patch built in code; nothing is validated here.
    public init(email: String? = nil, displayName: String? = nil, password: String? = nil, isAdmin: Bool? = nil, status: UserStatus? = nil) {
        self.email = email
        self.displayName = displayName
        self.password = password
        self.isAdmin = isAdmin
        self.status = status
    }

    /// Reads a patch body field by field; every field is optional. The caller ends with `fields.finish()` to refuse unknown fields.
    public init(_ fields: inout FieldReader) throws(PortcullisError) {
        email = try fields.string("email", maxLength: 320).map(Validate.email)
        displayName = try fields.text("display_name", maxLength: 256)
        password = try fields.string("password", maxLength: 1024).map(Validate.password)
        isAdmin = try fields.bool("is_admin")
        status = try fields.enumeration("status", UserStatus.self)
    }
}

/// Validated input for creating a team (`POST /api/v1/teams`, or a `team` import line).
public struct NewTeam: Sendable {
    /// The id to create the team under; nil lets the store generate one (`team_…`). A taken id is 409.
    public var id: String?
    /// The team's name (no control characters, at most 256 bytes when read from JSON).
    public var name: String
    /// The owning user, who must be live (422 otherwise) and becomes a member with role `owner`.
    public var ownerId: String
    /// Import only: the creation time to keep; nil lets the store stamp the current time.
    public var createdAt: String?
    /// Import only: the team arrives already deleted.
    public var deletedAt: String?

    /// A team to create, built in code; nothing is validated here.
    public init(id: String? = nil, name: String, ownerId: String, createdAt: String? = nil, deletedAt: String? = nil) {
        self.id = id
        self.name = name
        self.ownerId = ownerId
        self.createdAt = createdAt
        self.deletedAt = deletedAt
    }

    /// Reads a create request; `importing` also accepts `created_at` and `deleted_at`. The caller calls `fields.finish()`.
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

/// Validated changes to a team (`PATCH /api/v1/teams/{id}`): a nil field stays as it is.
public struct TeamPatch: Sendable {
    /// A new name.
    public var name: String?
    /// A new owner, who must be live; they are given the `owner` role, and the previous owner keeps their membership as it was.
    public var ownerId: String?

    /// A patch built in code; nothing is validated here.
    public init(name: String? = nil, ownerId: String? = nil) {
        self.name = name
        self.ownerId = ownerId
    }

    /// Reads a patch body; every field is optional. The caller ends with `fields.finish()`.
    public init(_ fields: inout FieldReader) throws(PortcullisError) {
        name = try fields.text("name", maxLength: 256)
        ownerId = try fields.id("owner_id")
    }
}

/// A membership to create or replace (`PUT /teams/{id}/members/{user_id}`).
public struct MembershipInput: Sendable {
    /// The membership's role.
    public var role: TeamRole
    /// Extra actions beyond the role's; only generation and project actions (`Action.grantable`), de-duplicated.
    public var permissions: [Action]
    /// Whether the membership counts; true by default.
    public var isActive: Bool
    /// Import only: the creation time of a new membership; an existing membership keeps its own.
    public var createdAt: String?

    /// A membership built in code; nothing is validated here.
    public init(role: TeamRole, permissions: [Action] = [], isActive: Bool = true, createdAt: String? = nil) {
        self.role = role
        self.permissions = permissions
        self.isActive = isActive
        self.createdAt = createdAt
    }

    /// Reads `{role, permissions?, is_active?}` (and `created_at` when `importing`); a team action among the permissions is
    /// an `invalid_field` error. The caller calls `fields.finish()`.
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

/// Validated input for creating a project (`POST /api/v1/projects`, or a `project` import line).
public struct NewProject: Sendable {
    /// The id to create the project under; nil lets the store generate one (`prj_…`). A taken id is 409.
    public var id: String?
    /// The project's name.
    public var name: String
    /// The owning user, who must be live (422 otherwise).
    public var ownerId: String
    /// The team to share the project with, which must be live (422 otherwise); nil for none.
    public var teamId: String?
    /// `private` by default.
    public var visibility: Visibility
    /// Import only: the creation time to keep; nil lets the store stamp the current time.
    public var createdAt: String?
    /// Import only: the project arrives already deleted.
    public var deletedAt: String?

    /// A project to create, built in code; nothing is validated here.
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

    /// Reads a create request; `importing` also accepts `created_at` and `deleted_at`. The caller calls `fields.finish()`.
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

/// Validated changes to a project (`PATCH /api/v1/projects/{id}`): a nil field stays as it is.
public struct ProjectPatch: Sendable {
    /// A new name.
    public var name: String?
    /// A new owner, who must be live.
    public var ownerId: String?
    /// `.some(nil)` takes the project out of its team.
    public var teamId: String??
    /// A new visibility.
    public var visibility: Visibility?

    /// A patch built in code; nothing is validated here.
    public init(name: String? = nil, ownerId: String? = nil, teamId: String?? = .none, visibility: Visibility? = nil) {
        self.name = name
        self.ownerId = ownerId
        self.teamId = teamId
        self.visibility = visibility
    }

    /// Reads a patch body; `"team_id": null` takes the project out of its team. The caller ends with `fields.finish()`.
    public init(_ fields: inout FieldReader) throws(PortcullisError) {
        name = try fields.text("name", maxLength: 256)
        ownerId = try fields.id("owner_id")
        teamId = try fields.nullableID("team_id")
        visibility = try fields.enumeration("visibility", Visibility.self)
    }
}

/// Validated input for creating a generation (`POST /api/v1/generations`, or a `generation` import line).
public struct NewGeneration: Sendable {
    /// The id to create the generation under; nil lets the store generate one (`gen_…`). A taken id is 409.
    public var id: String?
    /// The owning user, who must be live (422 otherwise).
    public var ownerId: String
    /// The project to put the generation in, which must be live (422 otherwise); nil for none.
    public var projectId: String?
    /// `pending` by default.
    public var status: GenerationStatus
    /// The media file's key (`Validate.mediaKey`); nil until there is media.
    public var mediaKey: String?
    /// Import only: the creation time to keep; nil lets the store stamp the current time.
    public var createdAt: String?
    /// Import only: the generation arrives already deleted.
    public var deletedAt: String?

    /// A generation to create, built in code; nothing is validated here.
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

    /// Reads a create request; `importing` also accepts `created_at` and `deleted_at`. The caller calls `fields.finish()`.
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

/// Validated changes to a generation (`PATCH /api/v1/generations/{id}`): a nil field stays as it is.
public struct GenerationPatch: Sendable {
    /// A new owner, who must be live; management only.
    public var ownerId: String?
    /// `.some(id)` moves the generation into a live project, `.some(nil)` takes it out of its project, `.none` leaves it.
    public var projectId: String??
    /// A new status.
    public var status: GenerationStatus?
    /// `.some(key)` sets the media key, `.some(nil)` clears it, `.none` leaves it; management only.
    public var mediaKey: String??

    /// A patch built in code; nothing is validated here.
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
