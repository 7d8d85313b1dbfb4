import Foundation
import Hummingbird
import Logging
import PortcullisCore
import PortcullisHTTP
import HummingbirdTesting
import ServiceLifecycle

/// A real Portcullis server on a free loopback port, over a fresh data directory, run with HummingbirdTesting's live
/// framework (the application as `portcullis serve` builds it, on a real socket).
struct TestServer {
    /// A fixed admin key, registered through PORTCULLIS_ADMIN_KEY's code path.
    static let adminKey = "pcs_test-admin-key-0123456789abcdefghijklmnopqrstuvwxyz"

    /// The request paths every HTTP test runs against: the event-loop fast path for cached checks, and the full path
    /// (Hummingbird) alone. `PORTCULLIS_TEST_PATHS=fast` or `=full` keeps one, to tell which one a failure is on.
    static let paths: [Bool] = {
        switch ProcessInfo.processInfo.environment["PORTCULLIS_TEST_PATHS"] {
        case "fast": [true]
        case "full": [false]
        default: [true, false]
        }
    }()

    /// The store every one-node HTTP test runs on: SQLite, or with `PORTCULLIS_TEST_BACKEND=postgres` (and
    /// `PORTCULLIS_TEST_POSTGRES_URL`, as `Tests/postgres/with_postgres.sh` sets) PostgreSQL, a fresh schema per data
    /// directory. The same tests then show the same behaviour on both backends (`.ci/run` runs a selection of suites
    /// on PostgreSQL too: docs/scaling.md).
    static let onPostgres: Bool = {
        guard ProcessInfo.processInfo.environment["PORTCULLIS_TEST_BACKEND"] == "postgres" else { return false }
        precondition(TestNodes.isAvailable, "PORTCULLIS_TEST_BACKEND=postgres needs PORTCULLIS_TEST_POSTGRES_URL")
        return true
    }()

    /// Runs `body` against a started server, once per request path (`paths`), each on a fresh data directory; with a
    /// `dataDirectory` (kept, e.g. across restarts) it runs once, with the fast path on.
    static func run<T: Sendable>(
        dataDirectory: String? = nil, configure: (inout ServerSettings) -> Void = { _ in },
        _ body: @Sendable (HTTPClient) async throws -> T
    ) async throws -> T {
        var result: T?
        for fastPath in dataDirectory == nil ? paths : [true] {
            result = try await run(dataDirectory: dataDirectory, fastPath: fastPath, configure: configure, body)
        }
        return result!
    }

    private static func run<T: Sendable>(
        dataDirectory: String?, fastPath: Bool, configure: (inout ServerSettings) -> Void, _ body: @Sendable (HTTPClient) async throws -> T
    ) async throws -> T {
        let directory = dataDirectory ?? makeDataDirectory()
        defer { if dataDirectory == nil { try? FileManager.default.removeItem(atPath: directory) } }
        var settings = ServerSettings()
        settings.port = 0
        settings.dataDirectory = directory
        settings.adminKey = adminKey
        settings.passwordIterations = 100_000
        settings.fastPath = fastPath
        if onPostgres {
            // Named after the data directory: a test that restarts its server on the same directory finds its data.
            settings.storageBackend = .postgres
            settings.postgres = try TestNodes.database(schema: "s_" + String(FNV1a.hash(directory), radix: 16))
        }
        configure(&settings)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let app = try await buildApplication(settings, logger: logger)
        return try await app.test(.live) { client in
            guard let port = client.port else { throw HTTPClient.SocketError(description: "the live test server has no port") }
            return try await body(HTTPClient(port: port, bearer: adminKey, live: client))
        }
    }

    static func makeDataDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-http-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
