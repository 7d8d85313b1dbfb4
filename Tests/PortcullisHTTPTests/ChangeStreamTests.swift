import Foundation
import PortcullisTestSupport
import PortcullisCore
import PortcullisHTTP
import Testing

/// SPEC 8.2: `GET /api/v1/changes/stream` as Server-Sent Events, over a real socket.
@Suite("Changes: the change stream")
struct ChangeStreamTests {
    static func stream(_ client: HTTPClient, _ path: String = "/api/v1/changes/stream", lastEventId: String? = nil) async throws -> EventStreamReader {
        let reader = try EventStreamReader(port: client.port, path: path, bearer: client.bearer, lastEventId: lastEventId)
        let status = await reader.head()
        #expect(status == 200)
        #expect(reader.headers["content-type"] == "text/event-stream")
        return reader
    }

    @Test("without since it starts with the next write: id is the revision, data the change, request_id the header's")
    func startsAtNextWrite() async throws {
        try await TestServer.run { client in
            try await client.create("users", ["id": "before", "email": "before@example.com"])
            let reader = try await Self.stream(client)
            let created = try await client.send("POST", "/api/v1/users", body: Array(#"{"id":"after","email":"after@example.com"}"#.utf8),
                                                headers: ["X-Request-Id": "req-stream-1"])
            let events = await reader.events(1)
            let event = try #require(events.first)
            #expect(event.id == created.header("X-Portcullis-Revision"))
            #expect(event.json["entity_id"] as? String == "after" && event.json["request_id"] as? String == "req-stream-1")
            #expect(event.json["revision"] as? Int == Int(event.id ?? ""))
        }
    }

    @Test("a write wakes the stream at once, not at its next keep-alive")
    func wokenByTheWrite() async throws {
        // A keep-alive far beyond the reader's 5 s: only the write can have woken the stream. (On PostgreSQL the change
        // feed's commits carry no change count; a stream woken only by counted commits answered at the keep-alive.)
        try await TestServer.run(configure: { $0.audit.streamKeepAlive = .seconds(120) }) { client in
            let reader = try EventStreamReader(port: client.port, path: "/api/v1/changes/stream", bearer: client.bearer, timeoutSeconds: 5)
            #expect(await reader.head() == 200)
            let created = try await client.create("users", ["id": "woken", "email": "woken@example.com"])
            let event = await reader.events(1).first
            #expect(event?.id == created.header("X-Portcullis-Revision"), "no event within 5 s of the write")
        }
    }

    @Test("an idle stream writes a keep-alive comment at the configured interval")
    func keepAlive() async throws {
        try await TestServer.run(configure: { $0.audit.streamKeepAlive = .milliseconds(200) }) { client in
            let reader = try await Self.stream(client)
            #expect(await reader.comment())
            #expect(await reader.comment())
        }
    }

    @Test("concurrent writers: every acknowledged revision exactly once in /changes and in the stream across a forced reconnect")
    func concurrentWritersAndReconnect() async throws {
        try await TestServer.run { client in
            let start = try await client.revision()
            let reader = try await Self.stream(client, "/api/v1/changes/stream?since=\(start)")
            let writers = 4, perWriter = 25
            // Each writer's acknowledged (revision, id) pairs.
            let acknowledged = try await withThrowingTaskGroup(of: [(Int, String)].self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        let own = client.onOwnConnections()
                        var written: [(Int, String)] = []
                        for index in 0..<perWriter {
                            let id = "w\(writer)-\(index)"
                            let response = try await own.post("/api/v1/users", json: ["id": id, "email": "\(id)@example.com"])
                            #expect(response.status == 201)
                            written.append((try #require(response.header("X-Portcullis-Revision").flatMap { Int($0) }), id))
                        }
                        return written
                    }
                }
                return try await group.reduce(into: [Int: String]()) { all, written in
                    for (revision, id) in written { all[revision] = id }
                }
            }
            let expected = acknowledged
            #expect(expected.count == writers * perWriter)
            // The stream, cut after 30 events and resumed with the last id it saw.
            var seen = await reader.events(30)
            reader.disconnect()
            let resumed = try await Self.stream(client, "/api/v1/changes/stream?since=\(start)", lastEventId: seen.last?.id)
            seen += await resumed.events(expected.count - seen.count)
            #expect(seen.map { Int($0.id ?? "") ?? -1 } == expected.keys.sorted(), "each revision once, in order")
            #expect(seen.map { $0.json["entity_id"] as? String } == expected.keys.sorted().map { expected[$0] })
            // /changes, paged by next_since with a small limit (on new connections: the keep-alive one may have idled out
            // while the writers ran on theirs).
            let listed = try await ChangesHTTPTests.readAll(client.onOwnConnections(), since: String(start), limit: 7)
            #expect(listed.map { $0["revision"] as? Int ?? -1 } == expected.keys.sorted())
        }
    }

    @Test("a revision of more than 10,000 changes: /changes pages it by next_cursor, the stream by ids <revision>:<seq>")
    func largeImportRevision() async throws {
        // Once, not once per request path: the change log does not depend on it, and 10,050 changes twice would weigh
        // on the timing tests running beside it.
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await TestServer.run(dataDirectory: directory) { client in
            let count = 10_050
            let lines = (0..<count).map { #"{"type":"user","id":"bulk\#($0)","email":"bulk\#($0)@example.com"}"# }
            let imported = try await client.send("POST", "/api/v1/import", body: Array(lines.joined(separator: "\n").utf8),
                                                 contentType: "application/x-ndjson")
            #expect(imported.status == 200, "\(imported.text)")
            let revision = try #require(imported.header("X-Portcullis-Revision").flatMap { Int($0) })
            let client = client.onOwnConnections()
            let first = try await client.get("/api/v1/changes?since=\(revision - 1)&limit=1000")
            #expect(first.json["next_cursor"] as? String == "\(revision):999")
            let listed = try await ChangesHTTPTests.readAll(client, since: String(revision - 1), limit: 1000)
            #expect(listed.count == count)
            #expect(listed.map { $0["seq"] as? Int ?? -1 } == Array(0..<count))

            let reader = try await Self.stream(client, "/api/v1/changes/stream?since=\(revision - 1)")
            let events = await reader.events(count)
            #expect(events.count == count)
            #expect(events.first?.id == "\(revision):0" && events.last?.id == "\(revision):\(count - 1)")
            reader.disconnect()
            let resumed = try await Self.stream(client, lastEventId: "\(revision):4999")
            #expect(await resumed.events(1).first?.id == "\(revision):5000")
        }
    }

    @Test("a since below the retention horizon is 410 changes_expired, on /changes and the stream")
    func expired() async throws {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Changes recorded, then swept by retention (a cutoff in the future removes them all), as the server's sweep would.
        let store = try SQLiteStore(StoreConfiguration(path: directory + "/portcullis.sqlite"))
        _ = try await store.createUser(NewUser(id: "u1", email: "u1@example.com"), passwordHash: nil)
        _ = try await store.createUser(NewUser(id: "u2", email: "u2@example.com"), passwordHash: nil)
        let retention = ChangeRetention(changes: store, days: 1, clock: WallClock(milliseconds: { Int64(Date().timeIntervalSince1970 * 1000) + 2 * 86_400_000 }),
                                        logger: .init(label: "test"))
        #expect(try await retention.sweep() == 2)
        let horizon = try await store.changeHorizon()
        #expect(horizon == 2)
        try await TestServer.run(dataDirectory: directory) { client in
            for path in ["/api/v1/changes?since=0", "/api/v1/changes?since=1", "/api/v1/changes/stream?since=1"] {
                let response = try await client.get(path)
                #expect(response.status == 410 && response.errorCode == "changes_expired", "\(path): \(response.status) \(response.text)")
            }
            let response = try await client.get("/api/v1/changes")
            #expect(response.status == 200, "without since: from the horizon")
            #expect((response.json["items"] as? [[String: Any]])?.first?["entity"] as? String == "api_key", "the server's own key, made after the sweep")
        }
    }
}
