import Foundation
import PortcullisTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The transport and the box (SPEC 8.1): request deadlines against trickling clients, request smuggling, route
/// classes that follow the path, and a data directory no other local user can read.
@Suite("Security: transport, deadlines and files")
struct SecurityTransportTests {
    static var admin: String { TestServer.adminKey }

    @Test("a trickled body gets 408 request_timeout and the connection closes; a trickled head is closed")
    func deadlines() async throws {
        try await TestServer.run(configure: { $0.requestTimeoutSeconds = 1; $0.idleTimeoutSeconds = 60 }) { client in
            async let body = Self.trickling(port: client.port, Array("""
                POST /api/v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(Self.admin)\r\nContent-Type: application/json\r\n\
                Content-Length: 100\r\n\r\n{"email":
                """.utf8), then: Array("\"".utf8))
            async let head = Self.trickling(port: client.port, Array("GET /api/v1/health HTTP/1.1\r\nHost: x\r\n".utf8), then: Array("X".utf8))
            // The server answers within a few seconds although the idle timeout is a minute away; the trickling goes on.
            let (bodyAnswer, headAnswer) = try await (body, head)
            let response = try RawConnection.parse(bodyAnswer.bytes)
            #expect(response.status == 408 && response.errorCode == "request_timeout", "\(String(decoding: bodyAnswer.bytes, as: UTF8.self))")
            #expect(bodyAnswer.closed && bodyAnswer.seconds < 10)
            #expect(headAnswer.bytes.isEmpty && headAnswer.closed && headAnswer.seconds < 10)
            #expect((try await client.get("/api/v1/users").json["items"] as? [Any])?.isEmpty == true, "nothing was stored")
            #expect(try await client.get("/api/v1/health").status == 200)
        }
    }

    @Test("a large body that keeps arriving faster than 64 KiB/s is not cut off at the deadline")
    func steadyLargeBody() async throws {
        try await TestServer.run(configure: { $0.requestTimeoutSeconds = 1 }) { client in
            let line = Array(#"{"type":"user","email":"#.utf8)
            let response = try await Self.onThread { () throws -> RawConnection.Response in
                let connection = try RawConnection(port: client.port)
                var lines: [UInt8] = []
                for index in 0..<30_000 { lines += line + Array("\"u\(index)@example.com\"}\n".utf8) }
                connection.send(Array("""
                    POST /api/v1/import HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer \(Self.admin)\r\n\
                    Content-Type: application/x-ndjson\r\nContent-Length: \(lines.count)\r\n\r\n
                    """.utf8))
                // About 1.2 MB in 12 slices over ~1.8 s: past the 1 s deadline, at ~650 KiB/s.
                let slice = lines.count / 12 + 1
                for start in stride(from: 0, to: lines.count, by: slice) {
                    connection.send(Array(lines[start..<min(start + slice, lines.count)]))
                    Thread.sleep(forTimeInterval: 0.15)
                }
                // The import itself may take long on a loaded 2-core machine running the whole suite; silence for 30 s
                // between bytes was too short there (a cut-off would be a 408 at once, not silence).
                return try RawConnection.parse(connection.readAll(timeout: 120))
            }
            #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
        }
    }

    @Test("request smuggling: Content-Length with Transfer-Encoding, or two lengths, is refused and nothing behind it runs")
    func smuggling() async throws {
        try await TestServer.run { client in
            let smuggled = "POST /api/v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(Self.admin)\r\nContent-Type: application/json\r\nContent-Length: 41\r\n\r\n{\"id\":\"smuggled\",\"email\":\"s@example.com\"}"
            for framing in ["Content-Length: 4\r\nTransfer-Encoding: chunked", "Content-Length: 4\r\nContent-Length: 200", "Transfer-Encoding: chunked, identity"] {
                let request = "POST /api/v1/authz/check HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(Self.admin)\r\n\(framing)\r\n\r\n0\r\n\r\n" + smuggled
                let response = try await RawConnection.exchange(port: client.port, Array(request.utf8))
                #expect(response.status == 400, "\(framing)")
            }
            #expect(try await client.get("/api/v1/users/smuggled").status == 404, "a smuggled request ran")
        }
    }

    @Test("the data directory is 0700 and its files 0600 even under umask 022, including files that existed before")
    func privateFiles() async throws {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        chmod(directory, 0o755)
        _ = FileManager.default.createFile(atPath: directory + "/notes.txt", contents: Data("x".utf8), attributes: [.posixPermissions: 0o644])
        let previous = umask(0o022)
        defer { umask(previous) }
        try await TestServer.run(dataDirectory: directory, configure: { $0.adminKey = nil }) { anonymous in
            let key = try String(contentsOfFile: directory + "/admin.key", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let client = anonymous.withBearer(key)
            try await client.seedSmallDirectory()
            _ = try await EndUserTests.signedIn(client, "m1")
            var info = stat()
            #expect(stat(directory, &info) == 0 && info.st_mode & 0o777 == 0o700)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            for expected in ["portcullis.sqlite", "portcullis.sqlite-wal", "decision-cache.sqlite", "admin.key", "signing-keys", "notes.txt"] {
                #expect(files.contains(expected), "\(expected) missing from \(files)")
            }
            for file in files {
                #expect(stat(directory + "/" + file, &info) == 0 && info.st_mode & 0o777 == 0o600, "\(file) is \(String(info.st_mode & 0o777, radix: 8))")
            }
        }
    }

    @Test("the route class follows the path whoever calls (SPEC 8.1)")
    func routeClasses() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let user = try await EndUserTests.signedIn(client, "m1")
            #expect(try await user.get("/api/v1/me").header("X-Route-Class") == "critical_auth")
            #expect(try await client.get("/api/v1/api-keys").header("X-Route-Class") == "critical_auth")
            #expect(try await client.get("/api/v1/generations/g1").header("X-Route-Class") == "fast")
            #expect(try await user.get("/api/v1/generations/g1").header("X-Route-Class") == "fast")
            #expect(try await user.get("/api/v1/generations/g1/media-url").header("X-Route-Class") == "fast")
        }
    }

    /// Sends `head`, then one byte of `then` every 200 ms until the server closes; what it sent and whether it closed.
    static func trickling(port: Int, _ head: [UInt8], then trickle: [UInt8]) async throws -> (bytes: [UInt8], closed: Bool, seconds: Double) {
        try await onThread {
            let connection = try RawConnection(port: port)
            let start = ContinuousClock.now
            connection.send(head)
            var interval = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(connection.fd, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4_096)
            while ContinuousClock.now - start < .seconds(20) {
                let count = buffer.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
                if count == 0 || (count < 0 && errno == ECONNRESET) {
                    let elapsed = ContinuousClock.now - start
                    return (received, true, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                }
                if count > 0 {
                    received += buffer[0..<count]
                    continue
                }
                connection.send(trickle)
            }
            return (received, false, 20)
        }
    }

    /// Runs blocking socket work on its own thread, never on the Swift concurrency pool the server also uses.
    static func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }
}
