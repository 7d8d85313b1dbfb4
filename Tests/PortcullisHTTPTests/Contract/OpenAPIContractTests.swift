import Foundation
import Logging
import PortcullisCore
import Testing

@testable import PortcullisHTTP

/// `docs/openapi.yaml` describes exactly the routes the server has, and the server serves that document.
@Suite("OpenAPI contract")
struct OpenAPIContractTests {
    /// The routes `buildRouter` registers, from a router assembled as `buildApplication` assembles it.
    static func routerOperations() throws -> Set<String> {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var settings = ServerSettings()
        settings.dataDirectory = directory
        let store = try SQLiteStore(settings.storeConfiguration)
        let monitor = PerformanceMonitor(clock: settings.clock, routeClassNames: RouteClass.allCases.map(\.rawValue))
        let logger = Logger(label: "test")
        let instruments = Instruments(
            monitor: monitor, alerts: AlertCenter(thresholds: settings.alertThresholds, clock: settings.clock, logger: logger),
            sampler: SystemSampler(storageBytes: store.storageBytes), cache: nil, store: store)
        let keyring = try SigningKeyring(path: settings.signingKeysPath)
        let table = buildRouter(settings, store: store, cache: nil, keyring: keyring, instruments: instruments, logger: logger).routes
        return Set(table.routes.map { "\($0.method.rawValue) \($0.path)" })
    }

    @Test("every route is in the document, and every operation of the document is a route")
    func documentMatchesRouter() throws {
        let documented = try OpenAPIDocument().operations
        let routed = try Self.routerOperations()
        #expect(routed.count >= 40, "the route table looks empty: \(routed)")
        let undocumented = routed.subtracting(documented).sorted()
        let unrouted = documented.subtracting(routed).sorted()
        #expect(undocumented.isEmpty, "routes missing from docs/openapi.yaml: \(undocumented)")
        #expect(unrouted.isEmpty, "operations in docs/openapi.yaml that no route serves: \(unrouted)")
    }

    @Test("the document is valid YAML and OpenAPI 3.1; paths and methods are read, and nothing else")
    func parserReadsOperations() throws {
        let document = try OpenAPIDocument()
        #expect((document.root["openapi"] as? String)?.hasPrefix("3.1") == true)
        let operations = try OpenAPIDocument().operations
        #expect(operations.contains("GET /api/v1/health"))
        #expect(operations.contains("PUT /api/v1/teams/{id}/members/{user_id}"))
        #expect(operations.contains("DELETE /api/v1/teams/{id}/members/{user_id}"))
        #expect(!operations.contains { $0.hasPrefix("PARAMETERS") })
    }

    @Test("GET /api/v1/openapi.yaml serves the document in the repository, without credentials, as application/yaml")
    func servesDocument() async throws {
        let onDisk = try Data(contentsOf: OpenAPIDocument.fileURL)
        try await TestServer.run { client in
            let response = try await client.withBearer(nil).get("/api/v1/openapi.yaml")
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/yaml")
            #expect(response.header("X-Request-Id") != nil)
            #expect(Data(response.body) == onDisk, "the embedded document is stale: rebuild")
            #expect(response.text.hasPrefix("openapi: 3.1"))
        }
    }
}
