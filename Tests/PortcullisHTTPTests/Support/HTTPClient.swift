import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PortcullisTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The tests' HTTP client, over a real server on a real socket.
///
/// By default requests go through HummingbirdTesting's live client (one keep-alive connection, so the server's whole
/// channel pipeline runs for every request). `onOwnConnections()` sends each request on a new raw TCP connection
/// instead (`Connection: close`), for tests that need requests truly in parallel: one connection answers in order.
/// The blocking socket work runs on its own thread, never on the Swift concurrency pool the server also uses.
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
        if let live { return try await send(live, method, path, body: body, contentType: contentType, headers: extra) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let bearer { head += "Authorization: Bearer \(bearer)\r\n" }
        for (name, value) in extra { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        let request = Array(head.utf8) + (body ?? [])
        let port = port
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try Self.exchange(request, port: port) })
            }
        }
    }

    private func send(_ live: any TestClientProtocol, _ method: String, _ path: String, body: [UInt8]?, contentType: String,
                      headers extra: [String: String]) async throws -> Response {
        var fields = HTTPFields()
        if let bearer { fields[.authorization] = "Bearer \(bearer)" }
        if body != nil { fields[.contentType] = contentType }
        for (name, value) in extra { fields[HTTPField.Name(name)!] = value }
        let response = try await live.execute(uri: path, method: HTTPRequest.Method(method)!, headers: fields,
                                              body: body.map { ByteBuffer(bytes: $0) })
        var headers: [String: String] = [:]
        for field in response.headers { headers[field.name.canonicalName] = field.value }
        return Response(status: Int(response.status.code), headers: headers, body: Array(buffer: response.body))
    }

    struct SocketError: Error, CustomStringConvertible {
        var description: String
    }

    private static func exchange(_ request: [UInt8], port: Int) throws -> Response {
        // The server may answer (e.g. 413) and close before taking the whole request: what it sent is still read.
        let data = try LoopbackSocket.exchange(port: port, request)
        return try parse(data)
    }

    private static func parse(_ data: [UInt8]) throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0...(max(0, data.count - 4))).first(where: { Array(data[$0..<min($0 + 4, data.count)]) == separator }) else {
            throw SocketError(description: "no HTTP response (\(data.count) bytes)")
        }
        let lines = String(decoding: data[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw SocketError(description: "bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(data[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Response(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ data: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < data.count {
            guard let lineEnd = (index..<(data.count - 1)).first(where: { data[$0] == 13 && data[$0 + 1] == 10 }) else { break }
            let size = Int(String(decoding: data[index..<lineEnd], as: UTF8.self), radix: 16) ?? 0
            if size == 0 { break }
            output += data[(lineEnd + 2)..<min(lineEnd + 2 + size, data.count)]
            index = lineEnd + 2 + size + 2
        }
        return output
    }
}
