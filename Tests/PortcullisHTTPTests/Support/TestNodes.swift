import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PortcullisCore
import PortcullisHTTP
import PortcullisTestSupport
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
        try database(schema: "n_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))
    }

    /// The test database's `schema` (created by the first server that opens it).
    static func database(schema: String) throws -> PostgresConfiguration {
        var configuration = try PostgresConfiguration(url: url ?? "")
        configuration.schema = schema
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

extension TestNodes {
    /// A database of its own on the test server (`CREATE DATABASE`), for nodes run as `portcullis serve` processes,
    /// which take the URL alone (tables in `public`): its URL, and a configuration for in-process nodes beside them.
    static func freshDatabaseOfItsOwn() async throws -> (url: String, configuration: PostgresConfiguration) {
        guard let url, var components = URLComponents(string: url) else { throw HTTPClient.SocketError(description: "no test database") }
        let name = "k_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let (status, output) = try await runCommand("/usr/lib/postgresql/15/bin/psql", [url, "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \(name)"])
        guard status == 0 else { throw HTTPClient.SocketError(description: "CREATE DATABASE failed: \(output)") }
        components.path = "/" + name
        let ownURL = components.string ?? url
        var configuration = try PostgresConfiguration(url: ownURL)
        configuration.maximumConnections = 4
        configuration.readerCapacity = 4
        return (ownURL, configuration)
    }

    /// Returns once the node answers a check (200): a node starting answers 503 until its change feed has caught up.
    static func waitUntilLive(_ client: HTTPClient) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        let probe: [String: Any] = ["user_id": "nobody", "action": "read", "resource_type": "team", "resource_id": "none"]
        while try await client.post("/api/v1/authz/check", json: probe).status == 503 {
            guard ContinuousClock.now < deadline else { throw HTTPClient.SocketError(description: "the node answered 503 for 30 s") }
            try await Task.sleep(for: .milliseconds(20))  // waiting for the node's feed (a condition with a deadline)
        }
    }

    /// A node run as a real `portcullis serve` process (the built binary beside the test bundle) on `postgresURL`, so
    /// that a test can `kill -9` it. Its output goes to `serve.log` in its data directory.
    final class ServeProcess: Sendable {
        let process: Process
        let port: Int
        let dataDirectory: String
        let client: HTTPClient

        /// Starts the node and returns once it accepts connections (at most 60 s).
        init(postgresURL: String, dataDirectory: String) async throws {
            var executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            while !FileManager.default.isExecutableFile(atPath: executable.appendingPathComponent("portcullis").path), executable.path != "/" {
                executable.deleteLastPathComponent()
            }
            let binary = executable.appendingPathComponent("portcullis")
            guard FileManager.default.isExecutableFile(atPath: binary.path) else {
                throw HTTPClient.SocketError(description: "no built portcullis binary beside the tests (swift build --build-tests)")
            }
            port = LoopbackSocket.freePort()
            self.dataDirectory = dataDirectory
            client = HTTPClient(port: port, bearer: TestServer.adminKey)
            let process = Process()
            process.executableURL = binary
            process.arguments = ["serve", "--data-dir", dataDirectory, "--port", String(port)]
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PORTCULLIS_") }
            environment.merge([
                "PORTCULLIS_ADMIN_KEY": TestServer.adminKey, "PORTCULLIS_PASSWORD_ITERATIONS": "100000", "PORTCULLIS_ACCESS_LOG": "off",
                "PORTCULLIS_STORAGE_BACKEND": "postgres", "PORTCULLIS_POSTGRES_URL": postgresURL,
                "PORTCULLIS_STORAGE_POSTGRES_MAX_CONNECTIONS": "4",
            ]) { $1 }
            process.environment = environment
            let log = dataDirectory + "/serve.log"
            guard FileManager.default.createFile(atPath: log, contents: nil) else { throw HTTPClient.SocketError(description: "cannot create \(log)") }
            let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = output
            process.standardError = output
            process.standardInput = FileHandle.nullDevice
            try process.run()
            self.process = process
            let deadline = ContinuousClock.now + .seconds(60)
            while !LoopbackSocket.canConnect(port: port) {
                guard process.isRunning, ContinuousClock.now < deadline else {
                    kill(process.processIdentifier, SIGKILL)
                    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                    throw HTTPClient.SocketError(description: "portcullis serve did not start listening: \(text.suffix(2000))")
                }
                try await Task.sleep(for: .milliseconds(20))  // waiting for another process's socket to open
            }
            try await TestNodes.waitUntilLive(client)
        }

        /// Sends SIGKILL and returns once the process has ended (its status is the signal's number).
        func killNine() async -> Int32 {
            kill(process.processIdentifier, SIGKILL)
            return await ended()
        }

        /// Kills the process if it still runs, without waiting (a test's `defer`, whatever happened before).
        func stopIfRunning() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }

        /// Sends SIGTERM and returns the exit status once it has ended.
        func terminate() async -> Int32 {
            if process.isRunning { process.terminate() }
            return await ended()
        }

        private func ended() async -> Int32 {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    self.process.waitUntilExit()
                    continuation.resume(returning: self.process.terminationStatus)
                }
            }
        }
    }
}
