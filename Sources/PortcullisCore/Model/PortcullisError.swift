/// The one error type the core throws. The HTTP layer maps `kind` to a status; `code` and `message` reach the client.
public struct PortcullisError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Malformed input or an invalid field (HTTP 400).
        case invalid
        /// Missing or invalid credentials (401).
        case unauthenticated
        /// Credentials are valid but not allowed to do this (403).
        case forbidden
        /// The entity does not exist, or is deleted (404).
        case notFound
        /// Duplicate id or email, or a state that forbids the request (409).
        case conflict
        /// Well-formed but inconsistent, e.g. an unknown referenced id (422).
        case unprocessable
        /// The body is over the size limit (413).
        case tooLarge
        /// Too many attempts (429).
        case rateLimited(retryAfterSeconds: Int)
        /// The store failed; not the client's fault (500/503).
        case unavailable
    }

    /// One bad line of an import.
    public struct LineError: Sendable, Equatable, Codable {
        public var line: Int
        public var message: String
        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }
    }

    public var kind: Kind
    public var code: String
    public var message: String
    public var details: [LineError]?

    public init(_ kind: Kind, code: String, _ message: String, details: [LineError]? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(code): \(message)" }

    /// `field` is missing or invalid; the message names it.
    public static func invalidField(_ field: String, _ why: String) -> PortcullisError {
        PortcullisError(.invalid, code: "invalid_field", "\(field): \(why)")
    }

    public static func notFound(_ what: String, _ id: String) -> PortcullisError {
        PortcullisError(.notFound, code: "not_found", "\(what) '\(id)' does not exist")
    }

    public static func unknownReference(_ field: String, _ id: String) -> PortcullisError {
        PortcullisError(.unprocessable, code: "unknown_reference", "\(field): '\(id)' does not exist")
    }
}
