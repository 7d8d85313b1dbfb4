import Foundation
import Testing

@Suite("Response headers on every kind of response")
struct HeadersTests {
    @Test("X-Request-Id, X-Route-Class and X-Response-Time", arguments: [
        ("GET", "/api/v1/health", 200, "ultra_fast"),
        ("GET", "/api/v1/nothing-here", 404, "normal"),
        ("PUT", "/api/v1/health", 405, "ultra_fast"),
        ("GET", "/api/v1/users", 401, "normal"),
        ("POST", "/api/v1/authz/check", 400, "critical_auth"),
        ("POST", "/api/v1/import", 401, "background"),
    ])
    func headers(method: String, path: String, status: Int, routeClass: String) async throws {
        try await TestServer.run { client in
            let authorized = path == "/api/v1/users" || path == "/api/v1/import" ? client.withBearer(nil) : client
            let response = try await authorized.send(method, path, body: method == "POST" ? Array("{".utf8) : nil)
            #expect(response.status == status)
            #expect(response.header("X-Route-Class") == routeClass)
            #expect(response.header("X-Request-Id")?.isEmpty == false)
            let time = try #require(response.header("X-Response-Time"))
            #expect(time.range(of: #"^[0-9]+\.[0-9]{3}ms$"#, options: .regularExpression) != nil, "\(time)")
            if status >= 400 {
                #expect(response.errorCode != nil, "error shape: \(response.text)")
                #expect(response.errorMessage != nil)
            }
        }
    }

    @Test("a client's request id is echoed")
    func echoesRequestId() async throws {
        try await TestServer.run { client in
            let response = try await client.send("GET", "/api/v1/health", headers: ["X-Request-Id": "trace-123"])
            #expect(response.header("X-Request-Id") == "trace-123")
        }
    }

    @Test("405 names the allowed methods")
    func methodNotAllowed() async throws {
        try await TestServer.run { client in
            let response = try await client.send("POST", "/api/v1/users/someone")
            #expect(response.status == 405)
            #expect(response.errorCode == "method_not_allowed")
            #expect(response.header("Allow") == "DELETE, GET, PATCH")
        }
    }
}
