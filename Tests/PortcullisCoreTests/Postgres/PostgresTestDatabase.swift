import Foundation
import Testing

@testable import PortcullisPostgres

/// The PostgreSQL server the PostgreSQL tests use: `PORTCULLIS_TEST_POSTGRES_URL`, e.g. as
/// `Tests/postgres/with_postgres.sh` exports it. Unset, those tests are skipped and say so.
enum PostgresTestDatabase {
    /// The server's URL, or nil when the tests are to be skipped.
    static let url: String? = ProcessInfo.processInfo.environment["PORTCULLIS_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// Whether a server is configured.
    static var isAvailable: Bool { url != nil }

    /// Why the PostgreSQL tests did not run, shown in the test output.
    static let skipMessage: Comment = """
        PORTCULLIS_TEST_POSTGRES_URL is unset: PostgreSQL tests skipped \
        (run `bash Tests/postgres/with_postgres.sh swift test --filter 'Postgres|StoreConformance'`)
        """

    /// The configuration of a store in a schema of its own, new and empty: every test starts from nothing.
    static func freshConfiguration() throws -> PostgresConfiguration {
        var configuration = try PostgresConfiguration(url: url ?? "")
        configuration.schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        configuration.maximumConnections = 4
        configuration.readerCapacity = 4
        return configuration
    }
}
