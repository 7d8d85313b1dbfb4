import Foundation
import PortcullisTestSupport
import Testing

/// The fast path sits right after the HTTP/1 decoder, so it reads raw header lines and keeps the connection's idle
/// timeout itself: these tests hold it to the full path's reading of a request and to the server's connection rules.
@Suite("Fast path: raw requests and connection rules")
struct FastPathConnectionTests {
    static let check = Array(#"{"user_id":"m1","action":"read","resource_type":"generation","resource_id":"g1"}"#.utf8)

    static func request(_ extraHeaders: [String] = [], version: String = "1.1", body: [UInt8] = check,
                        bearer: String = TestServer.adminKey) -> [UInt8] {
        let headers = (["Host: x", "Authorization: Bearer \(bearer)", "Content-Length: \(body.count)"] + extraHeaders)
            .joined(separator: "\r\n")
        return Array("POST /api/v1/authz/check HTTP/\(version)\r\n\(headers)\r\n\r\n".utf8) + body
    }

    static func header(_ name: String, in response: RawConnection.Response) -> String? {
        response.headerLines.first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
            .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
    }

    /// Sends `bytes` on a new keep-alive connection and reads one response.
    static func exchange(port: Int, _ bytes: [UInt8]) async throws -> RawConnection.Response {
        try await SecurityTransportTests.onThread {
            let connection = try RawConnection(port: port)
            connection.send(bytes)
            return try connection.readResponse(timeout: 10)
        }
    }

    /// One request on a fresh connection, answered (fast path on and off) after the check is warm in L1.
    static func answers(_ bytes: [UInt8]) async throws -> [RawConnection.Response] {
        var responses: [RawConnection.Response] = []
        for fastPath in [true, false] {
            responses.append(try await TestServer.run(configure: { $0.fastPath = fastPath }) { client in
                try await client.seedSmallDirectory()
                for _ in 0..<3 { _ = try await client.send("POST", "/api/v1/authz/check", body: check) }
                return try await exchange(port: client.port, bytes)
            })
        }
        return responses
    }

    @Test("a header sent twice reads as its values joined, on both paths: two credentials are refused")
    func repeatedHeaders() async throws {
        let twoKeys = try await Self.answers(Self.request(["Authorization: Bearer \(TestServer.adminKey)"]))
        #expect(twoKeys.map(\.status) == [401, 401], "\(twoKeys.map(\.status))")
        // Two request ids join into one with a space, which is not a usable id: a fresh one is made on both paths.
        let twoIds = try await Self.answers(Self.request(["X-Request-Id: first", "X-Request-Id: second"]))
        #expect(twoIds.map(\.status) == [200, 200])
        for response in twoIds {
            let id = Self.header("X-Request-Id", in: response)
            #expect(id != nil && id != "first" && id != "second" && id?.contains(" ") == false, "\(String(describing: id))")
        }
    }

    @Test("the fast path's 200 has the full path's header names in the full path's order")
    func headerOrder() async throws {
        let responses = try await Self.answers(Self.request(["X-Request-Id: order-1"]))
        let names = responses.map { $0.headerLines.map { $0.prefix { $0 != ":" }.lowercased() } }
        #expect(responses.map(\.status) == [200, 200])
        #expect(names[0] == names[1], "fast \(names[0]) vs full \(names[1])")
        #expect(responses[0].json["cache"] as? String == "l1" && responses[0].json["allowed"] as? Bool == true)
    }

    @Test("HTTP/1.0 and a body arriving in two bursts are passed on, and answered the same")
    func passedOnShapes() async throws {
        try await TestServer.run(configure: { $0.fastPath = true }) { client in
            try await client.seedSmallDirectory()
            for _ in 0..<3 { _ = try await client.send("POST", "/api/v1/authz/check", body: Self.check) }
            let before = try await FastPathTests.figures(client)
            let old = try await Self.exchange(port: client.port, Self.request(version: "1.0"))
            #expect(old.status == 200 && old.json["allowed"] as? Bool == true, "\(old.status)")
            let split = try await SecurityTransportTests.onThread {
                let connection = try RawConnection(port: client.port)
                let bytes = Self.request()
                connection.send(Array(bytes.dropLast(10)))
                // Whether the rest lands in the same read burst or not, the answer is the same.
                Thread.sleep(forTimeInterval: 0.2)
                connection.send(Array(bytes.suffix(10)))
                return try connection.readResponse(timeout: 10)
            }
            #expect(split.status == 200 && split.json["allowed"] as? Bool == true, "\(split.status) \(String(decoding: split.body, as: UTF8.self))")
            let after = try await FastPathTests.figures(client)
            // HTTP/1.0 is never taken up; the split request is counted once, by whichever path answered it.
            #expect((after.answered + after.passedOn) - (before.answered + before.passedOn) == 1, "\(before) → \(after)")
        }
    }

    @Test("a key deleted is refused at once on a keep-alive connection that presented it before, on both paths")
    func revokedOnOpenConnection() async throws {
        try await TestServer.run { client in
            let created = try await client.post("/api/v1/api-keys", json: ["name": "svc", "scopes": ["authz"]])
            let (secret, id) = (try #require(created.json["key"] as? String), try #require(created.json["id"] as? String))
            let connection = try RawConnection(port: client.port)
            let before = try await SecurityTransportTests.onThread {
                (0..<3).map { _ in
                    connection.send(Self.request(bearer: secret))
                    return (try? connection.readResponse(timeout: 10).status) ?? 0
                }
            }
            #expect(before == [200, 200, 200])
            #expect(try await client.delete("/api/v1/api-keys/\(id)").status == 204)
            let after = try await SecurityTransportTests.onThread {
                connection.send(Self.request(bearer: secret))
                return try connection.readResponse(timeout: 10)
            }
            #expect(after.status == 401 && after.errorCode == "unauthorized", "\(after.status) \(String(decoding: after.body, as: UTF8.self))")
        }
    }

    @Test("a connection only the fast path serves stays open while in use and closes after the idle timeout")
    func idleTimeout() async throws {
        try await TestServer.run(configure: { $0.fastPath = true; $0.idleTimeoutSeconds = 3 }) { client in
            // No seeding: the test client's own keep-alive connection would sit idle and be closed under it. A check
            // about nobody is still a 200 (a deny), answered on the fast path.
            let statuses = try await SecurityTransportTests.onThread {
                let connection = try RawConnection(port: client.port)
                var statuses: [Int] = []
                // Busy for 4 s, longer than the timeout, with pauses far shorter than it: never closed.
                for _ in 0..<10 {
                    connection.send(Self.request())
                    statuses.append(try connection.readResponse(timeout: 10).status)
                    Thread.sleep(forTimeInterval: 0.4)
                }
                let quietSince = Date()
                let closed = connection.waitForClose(timeout: 30)
                return (statuses, closed, Date().timeIntervalSince(quietSince))
            }
            #expect(statuses.0 == Array(repeating: 200, count: 10), "\(statuses.0)")
            // Closed after about 3 s of quiet; the bound leaves room for a loaded machine.
            #expect(statuses.1 && statuses.2 >= 2.5 && statuses.2 < 20, "closed \(statuses.1) after \(statuses.2) s")
        }
    }
}
