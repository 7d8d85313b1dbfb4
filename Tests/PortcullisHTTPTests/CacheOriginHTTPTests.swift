import Foundation
import PortcullisCore
import PortcullisHTTP
import Testing

/// A data directory whose database changes under it — another SQLite file moved in, or `storage.backend` switched to
/// PostgreSQL — still holds the decision cache file (L2/L3), whose entries, credentials and decisions alike, were
/// computed from the first database. Both databases count revisions and versions from the same start, so each test
/// writes the second one to the same revisions as the first, with another owner: an entry kept would match its
/// versions and be served, and be wrong (docs/caching.md, "Whose entries L3 keeps").
@Suite("The decision cache of a data directory given another database, over HTTP")
struct CacheOriginHTTPTests {
    static let firstKey = "pcs_first-database-key-0123456789abcdefghijklmnop"
    static let secondKey = "pcs_second-database-key-0123456789abcdefghijklmno"
    static var check: [String: Any] { ["user_id": "alice", "action": "download", "resource_type": "generation", "resource_id": "g"] }

    /// The server's settings on SQLite with `key` as the administrator key, whatever backend the run tests.
    static func onSQLite(_ key: String) -> (inout ServerSettings) -> Void {
        { settings in
            settings.adminKey = key
            settings.storageBackend = .sqlite
        }
    }

    /// Users alice and bob, then generation g owned by `owner` (revisions 2 to 4, after the administrator key's 1).
    static func write(_ client: HTTPClient, owner: String) async throws {
        for id in ["alice", "bob"] {
            #expect(try await client.post("/api/v1/users", json: ["id": id, "email": "\(id)@example.com"]).status == 201)
        }
        #expect(try await client.post("/api/v1/generations", json: ["id": "g", "owner_id": owner]).status == 201)
    }

    /// The first database: alice owns g, and her check is asked until it comes from L1, so that it (and the key's
    /// credential) is in L3 when the server stops.
    static func firstDatabase(_ directory: String) async throws {
        try await TestServer.run(dataDirectory: directory, configure: onSQLite(firstKey)) { client in
            let client = client.withBearer(firstKey)
            try await write(client, owner: "alice")
            var answer: [String: Any] = [:]
            for _ in 0..<3 { answer = try await client.post("/api/v1/authz/check", json: check).json }
            #expect(answer["allowed"] as? Bool == true && answer["cache"] as? String == "l1")
        }
        #expect(FileManager.default.fileExists(atPath: directory + "/decision-cache.sqlite"))
    }

    /// On the second database (bob owns g): the first database's key is refused and alice is not allowed g.
    static func expectNothingOfTheFirst(_ client: HTTPClient) async throws {
        #expect(try await client.withBearer(firstKey).get("/api/v1/api-keys").status == 401)
        let answer = try await client.withBearer(secondKey).post("/api/v1/authz/check", json: check).json
        #expect(answer["allowed"] as? Bool == false, "\(answer)")
    }

    @Test("another SQLite database moved into the data directory: the first one's key is refused, its decisions are not served")
    func anotherSQLiteDatabase() async throws {
        let directory = TestServer.makeDataDirectory(), other = TestServer.makeDataDirectory()
        defer { for folder in [directory, other] { try? FileManager.default.removeItem(atPath: folder) } }
        try await Self.firstDatabase(directory)
        try await TestServer.run(dataDirectory: other, configure: Self.onSQLite(Self.secondKey)) { client in
            try await Self.write(client.withBearer(Self.secondKey), owner: "bob")
        }
        for suffix in ["", "-wal", "-shm"] {
            let (from, to) = (other + "/portcullis.sqlite" + suffix, directory + "/portcullis.sqlite" + suffix)
            try? FileManager.default.removeItem(atPath: to)
            if FileManager.default.fileExists(atPath: from) { try FileManager.default.copyItem(atPath: from, toPath: to) }
        }
        try await TestServer.run(dataDirectory: directory, configure: Self.onSQLite(Self.secondKey)) { client in
            try await Self.expectNothingOfTheFirst(client)
        }
    }

    @Test("the data directory's storage.backend switched from SQLite to PostgreSQL: the same, from the first request on",
          .enabled(if: TestNodes.isAvailable, TestNodes.skipMessage))
    func sqliteToPostgres() async throws {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Self.firstDatabase(directory)
        let database = try TestNodes.freshDatabase()
        try await TestServer.run(dataDirectory: directory, configure: { settings in
            settings.adminKey = Self.secondKey
            settings.storageBackend = .postgres
            settings.postgres = database
        }) { client in
            #expect(try await client.withBearer(Self.firstKey).get("/api/v1/api-keys").status == 401)
            try await Self.write(client.withBearer(Self.secondKey), owner: "bob")
            try await Self.expectNothingOfTheFirst(client)
        }
    }
}
