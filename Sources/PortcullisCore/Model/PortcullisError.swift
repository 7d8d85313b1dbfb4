/// Every error code Portcullis answers with, each with its HTTP status: the one place both are defined.
///
/// The core throws `PortcullisError`s carrying one of these; the HTTP layer renders them in the spec's shape,
/// `{"error": {"code", "message"}}`, with `status`. Codes are part of the API contract: add, never rename.
public enum ErrorCode: String, Sendable, CaseIterable, Codable {
    // 400: the request itself is wrong.
    case badRequest = "bad_request"
    case invalidJSON = "invalid_json"
    case invalidField = "invalid_field"
    case invalidConfig = "invalid_config"
    case unreadableFile = "unreadable_file"
    // 401, 403: credentials.
    case unauthorized
    case invalidCredentials = "invalid_credentials"
    case forbidden
    // 403: a signed media URL that does not verify.
    case malformed
    case unknownKey = "unknown_key"
    case badSignature = "bad_signature"
    case expired
    case revoked
    // 404, 405, 408.
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case requestTimeout = "request_timeout"
    // 409: a conflict with what exists.
    case conflict
    case noMedia = "no_media"
    case dataDirectoryInUse = "data_dir_in_use"
    // 410: asked for history that retention has removed.
    case changesExpired = "changes_expired"
    // 413, 415.
    case payloadTooLarge = "payload_too_large"
    case unsupportedMediaType = "unsupported_media_type"
    // 422: well-formed but inconsistent.
    case unknownReference = "unknown_reference"
    case invalidImport = "invalid_import"
    // 429.
    case rateLimited = "rate_limited"
    // 500: a bug, never expected.
    case `internal`
    // 503: the server cannot answer now; retry.
    case overloaded
    case storeBusy = "store_busy"
    case storeError = "store_error"
    case storeUnavailable = "store_unavailable"
    case signingKeysUnreadable = "signing_keys_unreadable"
    case signingKeysInvalid = "signing_keys_invalid"
    case signingKeysEmpty = "signing_keys_empty"
    case signingKeysUnwritable = "signing_keys_unwritable"
    case adminKeyUnwritable = "admin_key_unwritable"
    case spoolFailed = "spool_failed"
    case lockUnavailable = "lock_unavailable"
    case dataDirectoryUnusable = "data_dir_unusable"
    case migrationFailed = "migration_failed"
    case invalidBackup = "invalid_backup"
    case backupFailed = "backup_failed"
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
        public var line: Int
        public var message: String
        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }
    }

    public var code: ErrorCode
    public var message: String
    public var details: [LineError]?
    /// `Retry-After` in seconds: set for `rate_limited`, defaulted for the 503 codes.
    public var retryAfterSeconds: Int?

    public init(_ code: ErrorCode, _ message: String, details: [LineError]? = nil, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.details = details
        self.retryAfterSeconds = retryAfterSeconds ?? code.defaultRetryAfterSeconds
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// `field` is missing or invalid; the message names it.
    public static func invalidField(_ field: String, _ why: String) -> PortcullisError {
        PortcullisError(.invalidField, "\(field): \(why)")
    }

    public static func notFound(_ what: String, _ id: String) -> PortcullisError {
        PortcullisError(.notFound, "\(what) '\(id)' does not exist")
    }

    public static func unknownReference(_ field: String, _ id: String) -> PortcullisError {
        PortcullisError(.unknownReference, "\(field): '\(id)' does not exist")
    }
}
