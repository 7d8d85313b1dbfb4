import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PortcullisCore
import PortcullisHTTP
import Testing

/// Several Portcullis servers on one PostgreSQL schema, each on its own loopback port and data directory (node-local
/// caches): what `portcullis serve` runs on every node of a deployment, in one test process. The database is
/// `PORTCULLIS_TEST_POSTGRES_URL` (`Tests/postgres/with_postgres.sh`); without it the tests that use this are skipped.
enum TestNodes {
    static let url: String? = ProcessInfo.processInfo.environment["PORTCULLIS_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static var isAvailable: Bool { url != nil }
    static let skipMessage: Comment = """
        PORTCULLIS_TEST_POSTGRES_URL is unset: several-node tests skipped \
        (run `bash Tests/postgres/with_postgres.sh swift test --filter SeveralNodes`)
        """

    /// A new, empty schema for one test's nodes to share.
    static func freshDatabase() throws -> PostgresConfiguration {
        var configuration = try PostgresConfiguration(url: url ?? "")
        configuration.schema = "n_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        configuration.maximumConnections = 4
        configuration.readerCapacity = 4
        return configuration
    }

    /// A node's client and the name its change feed's connection carries in `pg_stat_activity`.
    struct Node: Sendable {
        var client: HTTPClient
        var applicationName: String
    }

    /// Starts `count` nodes on `database` (a fresh schema by default) and runs `body` with them.
    static func run<T: Sendable>(
        _ count: Int, database: PostgresConfiguration? = nil, configure: @escaping @Sendable (inout ServerSettings) -> Void = { _ in },
        _ body: @Sendable ([Node]) async throws -> T
    ) async throws -> T {
        let database = try database ?? freshDatabase()
        return try await start(count, database: database, configure: configure, started: [], body)
    }

    private static func start<T: Sendable>(
        _ count: Int, database: PostgresConfiguration, configure: @escaping @Sendable (inout ServerSettings) -> Void, started: [Node],
        _ body: @Sendable ([Node]) async throws -> T
    ) async throws -> T {
        if started.count == count { return try await body(started) }
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var settings = ServerSettings()
        settings.port = 0
        settings.dataDirectory = directory
        settings.adminKey = TestServer.adminKey
        settings.passwordIterations = 100_000
        settings.storageBackend = .postgres
        settings.postgres = database
        configure(&settings)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let app = try await buildApplication(settings, logger: logger)
        let name = "portcullis:\(settings.host):0 \(URL(fileURLWithPath: directory).lastPathComponent)"
        return try await app.test(.live) { client in
            guard let port = client.port else { throw HTTPClient.SocketError(description: "the live test server has no port") }
            let node = Node(client: HTTPClient(port: port, bearer: TestServer.adminKey, live: client), applicationName: String(name.utf8.prefix(63))!)
            return try await start(count, database: database, configure: configure, started: started + [node], body)
        }
    }
}
