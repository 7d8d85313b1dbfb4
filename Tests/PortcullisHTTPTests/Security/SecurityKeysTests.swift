import Foundation
import Testing

/// API keys can be seen and rotated (SPEC 8.1): a list without secrets, the bootstrap key's id shown, the environment
/// key replaced when the variable changes, any long secret accepted, and last use recorded without a revision.
@Suite("Security: API keys and their rotation")
struct SecurityKeysTests {
    static func items(_ client: HTTPClient) async throws -> [[String: Any]] {
        let list = try await client.get("/api/v1/api-keys")
        #expect(list.status == 200, "\(list.text)")
        return try #require(list.json["items"] as? [[String: Any]])
    }

    @Test("the list shows every key with its source and never a secret; the bootstrap key can be revoked by id")
    func listing() async throws {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // First start without PORTCULLIS_ADMIN_KEY: a bootstrap key in admin.key.
        try await TestServer.run(dataDirectory: directory, configure: { $0.adminKey = nil }) { client in
            let bootstrap = try String(contentsOfFile: directory + "/admin.key", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let admin = client.withBearer(bootstrap)
            let created = try await admin.post("/api/v1/api-keys", json: ["name": "svc", "scopes": ["authz"]])
            let secret = try #require(created.json["key"] as? String)
            let items = try await Self.items(admin)
            #expect(items.map { $0["source"] as? String } == ["bootstrap", "api"])
            #expect(items.allSatisfy { $0["key"] == nil && $0["key_hash"] == nil })
            let text = try await admin.get("/api/v1/api-keys").text
            #expect(!text.contains(bootstrap) && !text.contains(secret), "a secret leaked into the list")
            #expect(items.allSatisfy { Set($0.keys) == ["id", "name", "scopes", "created_at", "last_used_at", "source", "expires_at"] })

            // Revoking the bootstrap key by the id the list shows: after that it is 401 at once.
            let newAdmin = try #require(try await admin.post("/api/v1/api-keys", json: ["name": "ops", "scopes": ["admin"]]).json["key"] as? String)
            let bootstrapId = try #require(items.first?["id"] as? String)
            #expect(try await client.withBearer(newAdmin).delete("/api/v1/api-keys/\(bootstrapId)").status == 204)
            #expect(try await admin.get("/api/v1/api-keys").status == 401)
        }
    }

    @Test("a changed PORTCULLIS_ADMIN_KEY retires the previous one; an unchanged one moves no revision; unset leaves it")
    func environmentRotation() async throws {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = String(repeating: "f", count: 48), second = "S3cr3t/from+a=password-manager_without-any-prefix!!"
        let revision = try await TestServer.run(dataDirectory: directory, configure: { $0.adminKey = first }) { client in
            #expect(try await client.withBearer(first).get("/api/v1/api-keys").status == 200, "a 48-character secret without a prefix")
            return try await client.withBearer(first).revision()
        }
        try await TestServer.run(dataDirectory: directory, configure: { $0.adminKey = first }) { client in
            let again = try await client.withBearer(first).revision()
            #expect(again == revision, "the same key again writes nothing")
        }
        try await TestServer.run(dataDirectory: directory, configure: { $0.adminKey = second }) { client in
            #expect(try await client.withBearer(first).get("/api/v1/api-keys").status == 401, "the previous environment key still works")
            let items = try await Self.items(client.withBearer(second))
            #expect(items.filter { $0["source"] as? String == "environment" }.count == 1)
        }
        try await TestServer.run(dataDirectory: directory, configure: { $0.adminKey = nil }) { client in
            let status = try await client.withBearer(second).get("/api/v1/api-keys").status
            #expect(status == 200, "unset: the key is left as it is")
        }
    }

    @Test("PORTCULLIS_ADMIN_KEY shorter than 32 characters, or with spaces or control characters, stops the start", arguments: [
        "short", String(repeating: "a", count: 31), String(repeating: "a", count: 40) + " b", String(repeating: "a", count: 40) + "\u{7}",
    ])
    func weakEnvironmentKey(_ key: String) async throws {
        await #expect(throws: (any Error).self) {
            try await TestServer.run(configure: { $0.adminKey = key }) { _ in }
        }
    }

    @Test("last_used_at is recorded when a key is used, without a new revision")
    func lastUsed() async throws {
        try await TestServer.run { client in
            let secret = try #require(try await client.post("/api/v1/api-keys", json: ["name": "svc"]).json["key"] as? String)
            let before = try await client.revision()
            #expect(try await Self.items(client).first { $0["name"] as? String == "svc" }?["last_used_at"] is NSNull)
            _ = try await client.withBearer(secret).post("/api/v1/authz/check", json: [
                "user_id": "nobody", "action": "read", "resource_type": "team", "resource_id": "none",
            ])
            // Recorded off the request path: poll the list until it shows (bounded), rather than sleeping a fixed time.
            var used: Any?
            for _ in 0..<100 {
                used = try await Self.items(client).first { $0["name"] as? String == "svc" }?["last_used_at"]
                if used is String { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect((used as? String)?.hasSuffix("Z") == true, "\(String(describing: used))")
            #expect(try await client.revision() == before, "recording use is not a write")
        }
    }
}
