/// An entity the change log records: its kind, its id in the log, and its public JSON — the API's shape for it
/// (sorted keys, absent optionals left out), never a secret or a hash.
public protocol ChangeSubject: Sendable {
    /// The kind written in a change's `entity`.
    static var changeEntity: ChangeEntity { get }
    /// The id written in a change's `entity_id`.
    var changeId: String { get }
    /// Writes the entity as the API returns it.
    func write(to json: inout JSONWriter)
}

extension ChangeSubject {
    /// The entity's JSON text, as a change's `before` or `after` holds it.
    public var changeJSON: String {
        var json = JSONWriter()
        write(to: &json)
        return json.text
    }
}

extension User: ChangeSubject {
    /// `user`.
    public static var changeEntity: ChangeEntity { .user }
    /// The user's id.
    public var changeId: String { id }
    /// The API's user object (no password, no hash).
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("created_at") { $0.string(createdAt) }
            json.optionalField("deleted_at", deletedAt)
            json.field("display_name") { $0.string(displayName) }
            json.field("email") { $0.string(email) }
            json.field("id") { $0.string(id) }
            json.field("is_admin") { $0.bool(isAdmin) }
            json.field("status") { $0.string(status.rawValue) }
        }
    }
}

extension Team: ChangeSubject {
    /// `team`.
    public static var changeEntity: ChangeEntity { .team }
    /// The team's id.
    public var changeId: String { id }
    /// The API's team object.
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("created_at") { $0.string(createdAt) }
            json.optionalField("deleted_at", deletedAt)
            json.field("id") { $0.string(id) }
            json.field("name") { $0.string(name) }
            json.field("owner_id") { $0.string(ownerId) }
        }
    }
}

extension TeamMember: ChangeSubject {
    /// `member`.
    public static var changeEntity: ChangeEntity { .member }
    /// `<team_id>/<user_id>` (ids cannot contain `/`, so the pair reads back unambiguously).
    public var changeId: String { teamId + "/" + userId }
    /// The API's membership object.
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("created_at") { $0.string(createdAt) }
            json.optionalField("expires_at", expiresAt)
            json.field("is_active") { $0.bool(isActive) }
            json.field("permissions") { $0.strings(permissions.lazy.map(\.rawValue)) }
            json.field("role") { $0.string(role.rawValue) }
            json.optionalField("starts_at", startsAt)
            json.field("team_id") { $0.string(teamId) }
            json.field("user_id") { $0.string(userId) }
        }
    }
}

extension Project: ChangeSubject {
    /// `project`.
    public static var changeEntity: ChangeEntity { .project }
    /// The project's id.
    public var changeId: String { id }
    /// The API's project object.
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("created_at") { $0.string(createdAt) }
            json.optionalField("deleted_at", deletedAt)
            json.field("id") { $0.string(id) }
            json.field("name") { $0.string(name) }
            json.field("owner_id") { $0.string(ownerId) }
            json.optionalField("team_id", teamId)
            json.field("visibility") { $0.string(visibility.rawValue) }
        }
    }
}

extension Generation: ChangeSubject {
    /// `generation`.
    public static var changeEntity: ChangeEntity { .generation }
    /// The generation's id.
    public var changeId: String { id }
    /// The API's generation object.
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("created_at") { $0.string(createdAt) }
            json.optionalField("deleted_at", deletedAt)
            json.field("id") { $0.string(id) }
            json.optionalField("media_key", mediaKey)
            json.field("owner_id") { $0.string(ownerId) }
            json.optionalField("project_id", projectId)
            json.field("status") { $0.string(status.rawValue) }
        }
    }
}

extension APIKey: ChangeSubject {
    /// `api_key`.
    public static var changeEntity: ChangeEntity { .apiKey }
    /// The key's id (not a secret).
    public var changeId: String { id }
    /// The object `GET /api/v1/api-keys` lists: never the secret or its hash.
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("created_at") { $0.string(createdAt) }
            json.field("expires_at") { $0.stringOrNull(expiresAt) }
            json.field("id") { $0.string(id) }
            json.field("last_used_at") { $0.stringOrNull(lastUsedAt) }
            json.field("name") { $0.string(name) }
            json.field("scopes") { $0.strings(scopes.lazy.map(\.rawValue)) }
            json.field("source") { $0.string(source.rawValue) }
        }
    }
}
