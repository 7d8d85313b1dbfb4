import Foundation
import Testing

@Suite("The error contract: exact statuses, the JSON error shape, and no change on bad input")
struct ErrorContractTests {
    struct Case: Sendable, CustomStringConvertible {
        var method: String
        var path: String
        var body: String?
        var status: Int
        var code: String
        var messageMentions: String?
        var description: String { "\(method) \(path) → \(status)" }
    }

    static let cases: [Case] = [
        Case(method: "POST", path: "/api/v1/users", body: "{not json", status: 400, code: "invalid_json"),
        Case(method: "POST", path: "/api/v1/users", body: "[1,2]", status: 400, code: "invalid_json"),
        Case(method: "POST", path: "/api/v1/users", body: #"{"id":"bad id!","email":"a@b.c"}"#, status: 400, code: "invalid_field", messageMentions: "id"),
        Case(method: "POST", path: "/api/v1/users", body: #"{"id":""}"#, status: 400, code: "invalid_field", messageMentions: "id"),
        Case(method: "POST", path: "/api/v1/users", body: #"{"email":"no-at-sign"}"#, status: 400, code: "invalid_field", messageMentions: "email"),
        Case(method: "POST", path: "/api/v1/users", body: #"{"email":"a@b.c","colour":"red"}"#, status: 400, code: "invalid_field", messageMentions: "colour"),
        Case(method: "POST", path: "/api/v1/users", body: #"{"email":"a@b.c","is_admin":"yes"}"#, status: 400, code: "invalid_field", messageMentions: "is_admin"),
        Case(method: "POST", path: "/api/v1/users", body: #"{"email":"owner@example.com"}"#, status: 409, code: "conflict", messageMentions: "email"),
        Case(method: "POST", path: "/api/v1/users", body: #"{"id":"owner","email":"new@example.com"}"#, status: 409, code: "conflict"),
        Case(method: "POST", path: "/api/v1/projects", body: #"{"name":"x","owner_id":"ghost"}"#, status: 422, code: "unknown_reference", messageMentions: "owner_id"),
        Case(method: "POST", path: "/api/v1/projects", body: #"{"name":"x","owner_id":"owner","visibility":"secret"}"#, status: 400, code: "invalid_field", messageMentions: "visibility"),
        Case(method: "GET", path: "/api/v1/users/ghost", body: nil, status: 404, code: "not_found"),
        Case(method: "GET", path: "/api/v1/users/bad%20id", body: nil, status: 400, code: "invalid_field"),
        Case(method: "POST", path: "/api/v1/users", body: #"{"id":"..","email":"dots@b.c"}"#, status: 400, code: "invalid_field", messageMentions: "id"),
        Case(method: "POST", path: "/api/v1/teams", body: #"{"id":".","name":"Dot","owner_id":"owner"}"#, status: 400, code: "invalid_field", messageMentions: "id"),
        Case(method: "GET", path: "/api/v1/users/%2E%2E", body: nil, status: 400, code: "invalid_field"),
        Case(method: "PATCH", path: "/api/v1/generations/g1", body: #"{"status":"exploded"}"#, status: 400, code: "invalid_field", messageMentions: "status"),
        Case(method: "POST", path: "/api/v1/authz/check", body: #"{"user_id":"m1","action":"fly","resource_type":"generation","resource_id":"g1"}"#, status: 400, code: "invalid_field", messageMentions: "action"),
        Case(method: "POST", path: "/api/v1/authz/check", body: #"{"user_id":"m1","action":"manage_members","resource_type":"generation","resource_id":"g1"}"#, status: 400, code: "invalid_field", messageMentions: "action"),
        Case(method: "POST", path: "/api/v1/authz/check", body: #"{"user_id":"m1","action":"read","resource_type":"planet","resource_id":"g1"}"#, status: 400, code: "invalid_field", messageMentions: "resource_type"),
        Case(method: "GET", path: "/api/v1/authz/resources?user_id=m1&resource_type=generation", body: nil, status: 400, code: "invalid_field", messageMentions: "action"),
        Case(method: "GET", path: "/api/v1/authz/resources?user_id=m1&resource_type=generation&action=read&limit=0", body: nil, status: 400, code: "invalid_field", messageMentions: "limit"),
        Case(method: "GET", path: "/api/v1/authz/resources?user_id=m1&resource_type=generation&action=read&cursor=%21%21", body: nil, status: 400, code: "invalid_field", messageMentions: "cursor"),
        Case(method: "GET", path: "/api/v1/authz/subjects?resource_type=generation&resource_id=ghost&action=read", body: nil, status: 404, code: "not_found"),
        Case(method: "DELETE", path: "/api/v1/api-keys/ghost", body: nil, status: 404, code: "not_found"),
    ]

    @Test("each bad request gets its status and changes nothing", arguments: cases)
    func badRequest(_ item: Case) async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let before = try await client.revision()
            let response = try await client.send(item.method, item.path, body: item.body.map { Array($0.utf8) })
            #expect(response.status == item.status, "\(response.text)")
            #expect(response.errorCode == item.code, "\(response.text)")
            if let mention = item.messageMentions {
                #expect(response.errorMessage?.contains(mention) == true, "message should name \(mention): \(response.text)")
            }
            #expect(try await client.revision() == before, "a rejected request must not change data")
        }
    }

    @Test("401 without credentials or with a wrong key; 403 for a non-admin key on management")
    func credentials() async throws {
        try await TestServer.run { client in
            #expect(try await client.withBearer(nil).get("/api/v1/users").status == 401)
            #expect(try await client.withBearer("pcs_wrong").get("/api/v1/users").status == 401)
            #expect(try await client.withBearer(nil).post("/api/v1/authz/check", json: [:]).status == 401)
            let created = try await client.post("/api/v1/api-keys", json: ["name": "checker"])
            #expect(created.status == 201)
            let key = try #require(created.json["key"] as? String)
            let checker = client.withBearer(key)
            let forbidden = try await checker.get("/api/v1/users")
            #expect(forbidden.status == 403 && forbidden.errorCode == "forbidden")
            #expect(try await checker.post("/api/v1/authz/check", json: ["user_id": "x", "action": "read", "resource_type": "team", "resource_id": "t"]).status == 200)
            // Deleting the key takes effect on the very next request.
            let id = try #require(created.json["id"] as? String)
            #expect(try await client.delete("/api/v1/api-keys/\(id)").status == 204)
            #expect(try await checker.post("/api/v1/authz/check", json: ["user_id": "x", "action": "read", "resource_type": "team", "resource_id": "t"]).status == 401)
        }
    }

    @Test("413 for a body over 1 MiB, and nothing stored")
    func bodyLimit() async throws {
        try await TestServer.run { client in
            let before = try await client.revision()
            let big = #"{"email":"big@example.com","display_name":""# + String(repeating: "x", count: (1 << 20) + 10) + #""}"#
            let response = try await client.send("POST", "/api/v1/users", body: Array(big.utf8))
            #expect(response.status == 413)
            #expect(response.errorCode == "payload_too_large")
            #expect(try await client.revision() == before)
        }
    }
}
