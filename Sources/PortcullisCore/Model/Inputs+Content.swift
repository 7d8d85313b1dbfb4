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
