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

/// Field rules shared by requests and import lines.
public enum Validate {
    /// Longest accepted media key, in bytes.
    public static let maxMediaKeyLength = 512

    /// Trims and lowercases (full Unicode) an email once, as it is stored and compared everywhere (SPEC 8.1), and checks
    /// its shape: one `@` with text on both sides, no whitespace, no control, zero-width or bidi characters.
    public static func email(_ value: String) throws(PortcullisError) -> String {
        let email = try normalizedEmail(value)
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !email.contains(where: { $0.isWhitespace }) else {
            throw .invalidField("email", "must be an address like name@example.com")
        }
        return email
    }

    /// The stored form of an email as typed at sign-in: trimmed and lowercased, refusing invisible characters, without
    /// judging its shape (a malformed address simply matches no account).
    public static func normalizedEmail(_ value: String, field: String = "email") throws(PortcullisError) -> String {
        try identifierText(value, field: field)
        return value.trimmingWhitespace.lowercased()
    }

    /// Free text (names): no C0 or C1 control characters.
    @discardableResult
    public static func text(_ value: String, field: String) throws(PortcullisError) -> String {
        if let bad = value.unicodeScalars.first(where: isControl) {
            throw .invalidField(field, "must not contain control characters (found U+\(bad.hexCode))")
        }
        return value
    }

    /// Text that identifies something (emails, ids): no control characters and no zero-width or bidi controls, which
    /// would make two values look alike or cut a value short in another system.
    @discardableResult
    public static func identifierText(_ value: String, field: String) throws(PortcullisError) -> String {
        try text(value, field: field)
        if let bad = value.unicodeScalars.first(where: isInvisible) {
            throw .invalidField(field, "must not contain zero-width or bidirectional control characters (found U+\(bad.hexCode))")
        }
        return value
    }

    /// C0 (U+0000–U+001F), DEL and C1 (U+007F–U+009F).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// Zero-width and bidi controls: U+200B–U+200F, U+202A–U+202E, U+2066–U+2069.
    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        (0x200B...0x200F).contains(scalar.value) || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
    }

    public static func password(_ value: String) throws(PortcullisError) -> String {
        guard value.count >= 8 else { throw .invalidField("password", "must be at least 8 characters") }
        return value
    }

    /// Media keys become URL paths: 1–512 characters of `A-Z a-z 0-9 . _ ~ / -`, no leading `/`, and no empty, `.` or
    /// `..` segment, so a key names exactly one file under the media root and needs no escaping in a URL.
    public static func mediaKey(_ value: String) throws(PortcullisError) -> String {
        let allowed = value.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "-"), UInt8(ascii: "/"): true
            default: false
            }
        }
        let segments = value.split(separator: "/", omittingEmptySubsequences: false)
        guard !value.isEmpty, value.utf8.count <= maxMediaKeyLength, allowed,
              !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
        else {
            throw .invalidField("media_key", "must be 1–\(maxMediaKeyLength) characters of A-Z a-z 0-9 . _ ~ - / forming a relative path "
                + "without empty, '.' or '..' segments")
        }
        return value
    }

    /// Timestamps are RFC 3339 in UTC, e.g. `2026-01-31T12:00:00Z` or `2026-01-31T12:00:00.123Z`.
    public static func timestamp(_ value: String, field: String) throws(PortcullisError) -> String {
        let bytes = Array(value.utf8)
        let digitPositions = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        let shapeOK = bytes.count >= 20 && bytes.count <= 30
            && bytes[4] == UInt8(ascii: "-") && bytes[7] == UInt8(ascii: "-") && bytes[10] == UInt8(ascii: "T")
            && bytes[13] == UInt8(ascii: ":") && bytes[16] == UInt8(ascii: ":") && bytes.last == UInt8(ascii: "Z")
            && digitPositions.allSatisfy { bytes[$0] >= UInt8(ascii: "0") && bytes[$0] <= UInt8(ascii: "9") }
            && (bytes.count == 20 || (bytes.count >= 22 && bytes[19] == UInt8(ascii: ".") && bytes[20..<(bytes.count - 1)].allSatisfy { $0 >= 48 && $0 <= 57 }))
        guard shapeOK else { throw .invalidField(field, "must be an RFC 3339 UTC timestamp like 2026-01-31T12:00:00Z") }
        // The shape alone lets "2026-13-45T99:99:99Z" through; RFC 3339 bounds each part (second 60 is a leap second).
        func number(_ at: Int) -> Int { Int(bytes[at] - 48) * 10 + Int(bytes[at + 1] - 48) }
        guard (1...12).contains(number(5)), (1...31).contains(number(8)), number(11) <= 23, number(14) <= 59, number(17) <= 60 else {
            throw .invalidField(field, "must be an RFC 3339 UTC timestamp like 2026-01-31T12:00:00Z")
        }
        return value
    }
}

extension String {
    /// Without leading and trailing whitespace (Unicode's definition).
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}

extension Unicode.Scalar {
    /// `001F`: the code point as at least four hex digits, for messages.
    var hexCode: String { String(value, radix: 16, uppercase: true).leftPadded(to: 4) }
}
