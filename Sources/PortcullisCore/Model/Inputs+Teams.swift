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
    /// When the membership starts to grant, in Unix milliseconds; nil: at once.
    public var startsAt: Int64?
    /// When it stops granting, in Unix milliseconds (after `startsAt`); nil: never.
    public var expiresAt: Int64?

    /// A membership built in code; nothing is validated here.
    public init(role: TeamRole, permissions: [Action] = [], isActive: Bool = true, createdAt: String? = nil, startsAt: Int64? = nil,
                expiresAt: Int64? = nil) {
        self.role = role
        self.permissions = permissions
        self.isActive = isActive
        self.createdAt = createdAt
        self.startsAt = startsAt
        self.expiresAt = expiresAt
    }

    /// Reads `{role, permissions?, is_active?, starts_at?, expires_at?}` (and `created_at` when `importing`); a team action
    /// among the permissions, a bound that is not an RFC 3339 UTC timestamp, or `expires_at` not after `starts_at` is an
    /// `invalid_field` error. The caller calls `fields.finish()`.
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
        startsAt = try Validate.instant(fields.string("starts_at"), field: "starts_at")
        expiresAt = try Validate.instant(fields.string("expires_at"), field: "expires_at")
        if let startsAt, let expiresAt, expiresAt <= startsAt {
            throw .invalidField("expires_at", "must be after starts_at")
        }
    }
}
