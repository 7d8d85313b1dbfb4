import Foundation
import PortcullisModel

/// How the PostgreSQL backend reaches its database (`storage.backend = "postgres"`, SPEC 8.4).
///
/// Read from a `postgres://user[:password]@host[:port]/database[?sslmode=disable|require|verify-full]` URL, with the
/// password optionally in a file of its own (`storage.postgres_password_file`) so that it stays out of the
/// configuration and the environment.
///
/// ```swift
/// let configuration = try PostgresConfiguration(url: "postgres://portcullis@db.internal:5432/portcullis?sslmode=verify-full",
///                                               passwordFile: "/etc/portcullis/postgres.password")
/// let store = try PostgresStore(configuration, onCommit: versions.apply)
/// ```
public struct PostgresConfiguration: Sendable, Equatable {
    /// Whether and how the connection is encrypted: `sslmode` of the URL (libpq's names; only these three).
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP (a database on the same host or a private network).
        case disable
        /// TLS, without checking the server's certificate (encryption against eavesdroppers only).
        case require
        /// TLS with the certificate checked against the system's trust roots and the host name.
        case verifyFull = "verify-full"
    }

    /// The server's host name or address.
    public var host: String
    /// The server's port (default 5432).
    public var port: Int
    /// The role to connect as.
    public var username: String
    /// The role's password, from the URL or the password file; nil for trust or peer authentication.
    public var password: String?
    /// The database's name.
    public var database: String
    /// `sslmode`; `require` when the URL names none, so that a password never crosses a network in the clear unless
    /// the URL says `sslmode=disable`.
    public var tls: TLSMode
    /// The schema the tables live in (`search_path`); nil for the role's default (`public`). Tests give each store
    /// a schema of its own in one database.
    public var schema: String?
    /// Connections for writes and management reads (`PostgresClient`'s `maximumConnections`).
    public var maximumConnections: Int
    /// Connections kept for decisions, which read synchronously (`PostgresSnapshotPool`).
    public var readerCapacity: Int

    /// A configuration from its parts; see `init(url:passwordFile:)` for the usual way.
    public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String, tls: TLSMode = .require,
                schema: String? = nil, maximumConnections: Int = 8, readerCapacity: Int = 8) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.schema = schema
        self.maximumConnections = maximumConnections
        self.readerCapacity = readerCapacity
    }

    /// Parses `storage.postgres_url`, taking the password from `passwordFile` when given (its content, trailing
    /// newline removed).
    /// - Throws: `invalid_config` naming the key and what is wrong; never echoes a password.
    public init(url: String, passwordFile: String? = nil) throws(PortcullisError) {
        func invalid(_ why: String) -> PortcullisError {
            PortcullisError(.invalidConfig, "storage.postgres_url: \(why)")
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme else {
            throw invalid("is not a URL of the form postgres://user[:password]@host[:port]/database[?sslmode=disable|require|verify-full]")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw invalid("the scheme must be postgres:// or postgresql://, not '\(scheme)://'")
        }
        guard let host = components.host, !host.isEmpty else { throw invalid("names no host") }
        guard let user = components.user, !user.isEmpty else { throw invalid("names no user (postgres://user@host/database)") }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.isEmpty, !path.contains("/") else { throw invalid("names no database (postgres://user@host/database)") }
        if let port = components.port, !(1...65535).contains(port) { throw invalid("the port must be in 1...65535") }
        var tls = TLSMode.require
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                    throw invalid("sslmode must be disable, require or verify-full, not '\(item.value ?? "")'")
                }
                tls = mode
            default:
                throw invalid("unknown parameter '\(item.name)' (only sslmode is read)")
            }
        }
        var password = components.password
        if let passwordFile {
            guard password == nil else {
                throw PortcullisError(.invalidConfig, "storage.postgres_password_file: the URL already holds a password; give one or the other")
            }
            guard let data = FileManager.default.contents(atPath: passwordFile), let text = String(data: data, encoding: .utf8) else {
                throw PortcullisError(.invalidConfig, "storage.postgres_password_file: cannot read \(passwordFile)")
            }
            let trimmed = text.hasSuffix("\r\n") ? String(text.dropLast(2)) : text.hasSuffix("\n") ? String(text.dropLast()) : text
            guard !trimmed.isEmpty else { throw PortcullisError(.invalidConfig, "storage.postgres_password_file: \(passwordFile) is empty") }
            password = trimmed
        }
        self.init(host: host, port: components.port ?? 5432, username: user, password: password, database: path, tls: tls)
    }

    /// The URL without its password, for logs and error messages.
    public var redactedDescription: String {
        "postgres://\(username)@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }
}
