import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore

/// The tests' HTTP client, over a real server on a real socket.
///
/// Requests go through HummingbirdTesting's clients: the live framework's keep-alive connection by default (so the
/// server's whole channel pipeline runs for every request), or with `onOwnConnections()` a new `TestClient`
/// connection per request (`Connection: close`), for tests that need requests truly in parallel (one connection is
/// answered in order). Byte-exact requests use `RawConnection` and `LoopbackSocket` instead.
struct HTTPClient: Sendable {
    struct Response: Sendable {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]

        var text: String { String(decoding: body, as: UTF8.self) }

        /// The body parsed as a JSON object.
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
        }

        func header(_ name: String) -> String? { headers[name.lowercased()] }

        /// `error.code` of an error body.
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var errorMessage: String? { (json["error"] as? [String: Any])?["message"] as? String }
    }

    let port: Int
    var bearer: String?
    /// The live keep-alive client; nil sends every request on its own connection.
    var live: (any TestClientProtocol)?

    init(port: Int, bearer: String?, live: (any TestClientProtocol)? = nil) {
        self.port = port
        self.bearer = bearer
        self.live = live
    }

    /// The same client sending each request on a new connection (for parallel requests).
    func onOwnConnections() -> HTTPClient {
        var copy = self
        copy.live = nil
        return copy
    }

    func withBearer(_ token: String?) -> HTTPClient {
        var copy = self
        copy.bearer = token
        return copy
    }

    func get(_ path: String) async throws -> Response { try await send("GET", path) }
    func delete(_ path: String) async throws -> Response { try await send("DELETE", path) }

    func post(_ path: String, json: Any) async throws -> Response {
        try await send("POST", path, body: Array(try JSONSerialization.data(withJSONObject: json)))
    }

    func patch(_ path: String, json: Any) async throws -> Response {
        try await send("PATCH", path, body: Array(try JSONSerialization.data(withJSONObject: json)))
    }

    func put(_ path: String, json: Any) async throws -> Response {
        try await send("PUT", path, body: Array(try JSONSerialization.data(withJSONObject: json)))
    }

    func send(_ method: String, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json",
              headers extra: [String: String] = [:]) async throws -> Response {
        var fields = HTTPFields()
        if let bearer { fields[.authorization] = "Bearer \(bearer)" }
        if body != nil { fields[.contentType] = contentType }
        for (name, value) in extra { fields[HTTPField.Name(name)!] = value }
        let buffer = body.map { ByteBuffer(bytes: $0) }
        let requestMethod = HTTPRequest.Method(method)!
        if let live { return Self.response(try await live.execute(uri: path, method: requestMethod, headers: fields, body: buffer)) }
        // A connection of its own, closed after the answer.
        fields[.connection] = "close"
        let request = TestClient.Request(path, method: requestMethod, authority: "localhost", headers: fields, body: buffer)
        let response = try await TestClient.withClient(host: "localhost", port: port) { client in try await client.execute(request) }
        var headers: [String: String] = [:]
        for field in response.headers { headers[field.name.canonicalName] = field.value }
        return Response(status: Int(response.status.code), headers: headers, body: response.body.map { Array(buffer: $0) } ?? [])
    }

    private static func response(_ response: TestResponse) -> Response {
        var headers: [String: String] = [:]
        for field in response.headers { headers[field.name.canonicalName] = field.value }
        return Response(status: Int(response.status.code), headers: headers, body: Array(buffer: response.body))
    }

    struct SocketError: Error, CustomStringConvertible {
        var description: String
    }
}
