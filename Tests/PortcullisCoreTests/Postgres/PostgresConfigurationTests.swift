import Foundation
import Testing

@testable import PortcullisModel
@testable import PortcullisPostgres

/// `storage.postgres_url` and `storage.postgres_password_file` (SPEC 8.4): what is accepted, and a clear
/// `invalid_config` for everything else. No server needed.
@Suite("PostgreSQL configuration")
struct PostgresConfigurationTests {
    @Test("a full URL: user, password, host, port, database and each sslmode")
    func parsesURL() throws {
        let configuration = try PostgresConfiguration(url: "postgres://app:s3cret@db.internal:6543/portcullis?sslmode=verify-full")
        #expect(configuration.username == "app" && configuration.password == "s3cret")
        #expect(configuration.host == "db.internal" && configuration.port == 6543 && configuration.database == "portcullis")
        #expect(configuration.tls == .verifyFull)
        #expect(try PostgresConfiguration(url: "postgresql://app@127.0.0.1/db?sslmode=disable").tls == .disable)
        #expect(try PostgresConfiguration(url: "postgres://app@127.0.0.1/db?sslmode=require").tls == .require)
        let defaults = try PostgresConfiguration(url: "postgres://app@localhost/db")
        #expect(defaults.port == 5432 && defaults.password == nil && defaults.tls == .require, "TLS unless the URL says otherwise")
        #expect(!defaults.redactedDescription.contains("s3cret"))
        #expect(!configuration.redactedDescription.contains("s3cret"), "the password never appears in descriptions")
    }

    @Test("bad URLs are invalid_config naming the key", arguments: [
        ("", "storage.postgres_url: is not a URL"),
        ("mysql://app@host/db", "the scheme must be postgres:// or postgresql://"),
        ("postgres:///db", "names no host"),
        ("postgres://host/db", "names no user"),
        ("postgres://app@host", "names no database"),
        ("postgres://app@host/", "names no database"),
        ("postgres://app@host/db/extra", "names no database"),
        ("postgres://app@host/db?sslmode=prefer", "sslmode must be disable, require or verify-full, not 'prefer'"),
        ("postgres://app@host/db?connect_timeout=3", "unknown parameter 'connect_timeout'"),
    ])
    func rejectsBadURLs(_ url: String, _ message: String) {
        #expect {
            try PostgresConfiguration(url: url)
        } throws: { error in
            guard let error = error as? PortcullisError else { return false }
            return error.code == .invalidConfig && error.message.hasPrefix("storage.postgres_url") && error.message.contains(message)
        }
    }

    @Test("the password file: its content without the final newline; not beside a password in the URL; unreadable or empty refused")
    func passwordFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-pgpass-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("password").path
        try Data("from-file\n".utf8).write(to: URL(fileURLWithPath: file))
        #expect(try PostgresConfiguration(url: "postgres://app@host/db", passwordFile: file).password == "from-file")

        let empty = folder.appendingPathComponent("empty").path
        try Data("\n".utf8).write(to: URL(fileURLWithPath: empty))
        for (url, path, message) in [("postgres://app:inline@host/db", file, "already holds a password"),
                                     ("postgres://app@host/db", folder.appendingPathComponent("missing").path, "cannot read"),
                                     ("postgres://app@host/db", empty, "is empty")] {
            #expect {
                try PostgresConfiguration(url: url, passwordFile: path)
            } throws: { error in
                guard let error = error as? PortcullisError else { return false }
                return error.code == .invalidConfig && error.message.hasPrefix("storage.postgres_password_file") && error.message.contains(message)
            }
        }
    }
}
