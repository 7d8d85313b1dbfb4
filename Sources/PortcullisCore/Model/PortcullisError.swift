/// Every error code Portcullis answers with, each with its HTTP status: the one place both are defined.
///
/// The core throws `PortcullisError`s carrying one of these; the HTTP layer renders them in the spec's shape,
/// `{"error": {"code", "message"}}`, with `status`. Codes are part of the API contract: add, never rename.
public enum ErrorCode: String, Sendable, CaseIterable, Codable {
    // 400: the request itself is wrong.
    /// A request the HTTP layer could not make sense of (malformed, or refused by the framework).
    case badRequest = "bad_request"
    /// The body (or an import line) is not valid JSON, or not a JSON object.
    case invalidJSON = "invalid_json"
    /// A field is missing, of the wrong type, out of range or unknown; the message starts with the field's name.
    case invalidField = "invalid_field"
    /// The configuration file or environment holds an unknown key or a bad value (raised at start).
    case invalidConfig = "invalid_config"
    /// A file named on the command line cannot be read (e.g. `portcullis import FILE`).
    case unreadableFile = "unreadable_file"
    // 401, 403: credentials.
    /// No credential, or one that matches no live API key or user token.
    case unauthorized
    /// Sign-in failed: unknown email, wrong password, no password, or a disabled user — one answer for all.
    case invalidCredentials = "invalid_credentials"
    /// The caller is known but may not do this (a user token asking about another user, a non-administrator on a management route).
    case forbidden
    // 403: a signed media URL that does not verify.
    /// A media URL whose path or query is not exactly what `MediaURLSigner` issues.
    case malformed
    /// A media URL signed with a key id that is not in the keyring, or retired.
    case unknownKey = "unknown_key"
    /// A media URL whose signature does not match its parameters.
    case badSignature = "bad_signature"
    /// A media URL past its `expires`.
    case expired
    /// A media URL whose user may no longer `download` the generation, or whose generation no longer has that media key.
    case revoked
    // 404, 405, 408.
    /// The addressed entity does not exist or is deleted.
    case notFound = "not_found"
    /// The path exists but not with this HTTP method.
    case methodNotAllowed = "method_not_allowed"
    /// The request body did not arrive in time.
    case requestTimeout = "request_timeout"
    // 409: a conflict with what exists.
    /// The write contradicts what exists: a taken id or email, retiring the active signing key, an existing backup file.
    case conflict
    /// A media URL was asked for a generation that has no media key yet.
    case noMedia = "no_media"
    /// Another process (a running server, a restore) holds the data directory's lock.
    case dataDirectoryInUse = "data_dir_in_use"
    // 410: asked for history that retention has removed.
    /// Asked for history that retention has removed; no code path in this version throws it.
    case changesExpired = "changes_expired"
    // 413, 415.
    /// The body, or the import, exceeds its size limit.
    case payloadTooLarge = "payload_too_large"
    /// The body's content type is not one the route accepts (the framework's 415, in the spec's shape).
    case unsupportedMediaType = "unsupported_media_type"
    // 422: well-formed but inconsistent.
    /// The input names an entity that does not exist or is deleted (an owner, a team, a project).
    case unknownReference = "unknown_reference"
    /// An import with bad lines; `details` lists them (up to 100) and nothing was stored.
    case invalidImport = "invalid_import"
    // 429.
    /// Too many failed sign-ins (`LoginThrottle`); `retryAfterSeconds` says when to try again.
    case rateLimited = "rate_limited"
    // 500: a bug, never expected.
    /// An error nothing expected: a bug.
    case `internal`
    // 503: the server cannot answer now; retry.
    /// The server sheds load (too many requests in flight, or the password-hashing pool is full).
    case overloaded
    /// The database stayed locked past its busy timeout.
    case storeBusy = "store_busy"
    /// The database failed a statement for another reason.
    case storeError = "store_error"
    /// The database cannot be opened or read.
    case storeUnavailable = "store_unavailable"
    /// The media signing-key file cannot be read: nothing is signed or verified until it can.
    case signingKeysUnreadable = "signing_keys_unreadable"
    /// The signing-key file is not valid JSON of keys, holds a short or non-base64url secret, or no usable active key.
    case signingKeysInvalid = "signing_keys_invalid"
    /// The signing-key file holds no keys.
    case signingKeysEmpty = "signing_keys_empty"
    /// The signing-key file cannot be written (creation, rotation, retirement).
    case signingKeysUnwritable = "signing_keys_unwritable"
    /// The first start cannot write `<data-dir>/admin.key`, so no administrator key is created.
    case adminKeyUnwritable = "admin_key_unwritable"
    /// An uploaded import cannot be written to its spool file.
    case spoolFailed = "spool_failed"
    /// The data directory's lock file cannot be opened.
    case lockUnavailable = "lock_unavailable"
    /// The data directory cannot be made private (`chmod 0700` failed).
    case dataDirectoryUnusable = "data_dir_unusable"
    /// A schema migration cannot be applied (e.g. two live users whose emails differ only in case).
    case migrationFailed = "migration_failed"
    /// A file offered to `restore` is not an intact Portcullis database this binary can serve.
    case invalidBackup = "invalid_backup"
    /// A backup (or a restore's copy) could not be written or failed its check.
    case backupFailed = "backup_failed"
    /// A restore could not replace the database; the message says what was left in place.
    case restoreFailed = "restore_failed"

    /// The HTTP status that goes with the code.
    public var status: Int {
        switch self {
        case .badRequest, .invalidJSON, .invalidField, .invalidConfig, .unreadableFile, .invalidBackup: 400
        case .unauthorized, .invalidCredentials: 401
        case .forbidden, .malformed, .unknownKey, .badSignature, .expired, .revoked: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .requestTimeout: 408
        case .conflict, .noMedia, .dataDirectoryInUse: 409
        case .changesExpired: 410
        case .payloadTooLarge: 413
        case .unsupportedMediaType: 415
        case .unknownReference, .invalidImport: 422
        case .rateLimited: 429
        case .internal: 500
        case .overloaded, .storeBusy, .storeError, .storeUnavailable, .signingKeysUnreadable, .signingKeysInvalid, .signingKeysEmpty,
             .signingKeysUnwritable, .adminKeyUnwritable, .spoolFailed, .lockUnavailable, .dataDirectoryUnusable, .migrationFailed,
             .backupFailed, .restoreFailed:
            503
        }
    }

    /// Seconds a client should wait before retrying, for the codes that say "not now" (sent as `Retry-After`).
    public var defaultRetryAfterSeconds: Int? {
        status == 503 ? 1 : nil
    }
}

/// The one error type the core throws: a code (which fixes the status), a message for people, and for an import the
/// line errors.
///
/// ```swift
/// throw PortcullisError(.conflict, "email 'a@example.com' is already in use")
/// throw PortcullisError.invalidField("email", "must be an address like name@example.com")
/// ```
public struct PortcullisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One bad line of an import.
    public struct LineError: Sendable, Equatable, Codable {
        /// The line's number, from 1.
        public var line: Int
        /// What is wrong with the line.
        public var message: String
        /// An error for line `line`.
        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }
    }

    /// The code, which fixes the HTTP status.
    public var code: ErrorCode
    /// A sentence for people, naming the field, id or file concerned; not a contract (the code is).
    public var message: String
    /// The line errors of an `invalid_import`; nil for every other error.
    public var details: [LineError]?
    /// `Retry-After` in seconds: set for `rate_limited`, defaulted for the 503 codes.
    public var retryAfterSeconds: Int?

    /// An error with `code` and `message`; `retryAfterSeconds` defaults to the code's (1 for the 503 codes).
    public init(_ code: ErrorCode, _ message: String, details: [LineError]? = nil, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.details = details
        self.retryAfterSeconds = retryAfterSeconds ?? code.defaultRetryAfterSeconds
    }

    /// `code: message`, for logs and test failures.
    public var description: String { "\(code.rawValue): \(message)" }

    /// `field` is missing or invalid; the message names it.
    public static func invalidField(_ field: String, _ why: String) -> PortcullisError {
        PortcullisError(.invalidField, "\(field): \(why)")
    }

    /// `not_found`: "`what` '`id`' does not exist", e.g. `PortcullisError.notFound("team", "t1")`.
    public static func notFound(_ what: String, _ id: String) -> PortcullisError {
        PortcullisError(.notFound, "\(what) '\(id)' does not exist")
    }

    /// `unknown_reference` for `field`, which names `id`, an entity that does not exist or is deleted.
    public static func unknownReference(_ field: String, _ id: String) -> PortcullisError {
        PortcullisError(.unknownReference, "\(field): '\(id)' does not exist")
    }
}
