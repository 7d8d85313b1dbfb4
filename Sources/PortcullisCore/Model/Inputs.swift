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
