import Foundation
import Synchronization
import Testing

/// SPEC 5 and 8.4 together: a node killed with SIGKILL in the middle of writes loses no write it acknowledged with
/// 2xx — every one is on the other node at once, in its answers too — the other node keeps answering, and the killed
/// node, restarted on its data directory, serves current answers.
///
/// Node A is a real `portcullis serve` process (`TestNodes.ServeProcess`) on a database of its own; node B runs in
/// the test process on the same database.
@Suite("kill -9 of a node in the middle of writes", .enabled(if: TestNodes.isAvailable, TestNodes.skipMessage))
struct SeveralNodesKillTests {
    /// Users granted membership by A's writers, 4 of them; A is killed after 12 grants, so most are still to come.
    static let users = (0..<80).map { "k\($0)" }

    /// What A's writers sent, and what A acknowledged (user and revision).
    final class Writes: Sendable {
        private let state = Mutex((sent: Set<String>(), acknowledged: [(user: String, revision: Int)](), unexpected: [String]()))

        func sent(_ user: String) { state.withLock { _ = $0.sent.insert(user) } }
        func acknowledged(_ user: String, revision: Int) { state.withLock { $0.acknowledged.append((user, revision)) } }
        func unexpected(_ answer: String) { state.withLock { $0.unexpected.append(answer) } }
        var sentUsers: Set<String> { state.withLock { $0.sent } }
        var acknowledgedWrites: [(user: String, revision: Int)] { state.withLock { $0.acknowledged } }
        var unexpectedAnswers: [String] { state.withLock { $0.unexpected } }
    }

    @Test("kill -9 of a node mid-write: every write it acknowledged is on the other node, which keeps answering; restarted, it answers current")
    func killNineMidWrite() async throws {
        let database = try await TestNodes.freshDatabaseOfItsOwn()
        try await TestNodes.run(1, database: database.configuration) { nodes in
            let b = nodes[0].client
            try await TestNodes.waitUntilLive(b)
            try await b.seedSmallDirectory()
            let lines = Self.users.map { #"{"type":"user","id":"\#($0)","email":"\#($0)@kill.test"}"# }
            let imported = try await b.send("POST", "/api/v1/import", body: Array(lines.joined(separator: "\n").utf8),
                                            contentType: "application/x-ndjson")
            #expect(imported.status == 200, "\(imported.text)")
            // B holds every user's deny in its caches (L1 admits an answer the second time): a grant B misses stays a
            // stale deny there.
            for user in Self.users {
                for _ in 0..<2 { #expect(try await !b.decide(user, "read", "generation", "g1").allowed) }
            }

            let directory = TestServer.makeDataDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let a = try await TestNodes.ServeProcess(postgresURL: database.url, dataDirectory: directory)
            defer { a.stopIfRunning() }
            let writes = Writes()
            let killed = try await withThrowingTaskGroup(of: Int32?.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        for (index, user) in Self.users.enumerated() where index % 4 == writer {
                            writes.sent(user)
                            // No answer: A is gone (the write is in doubt); the writer stops.
                            guard let response = try? await a.client.put("/api/v1/teams/t1/members/\(user)", json: ["role": "viewer"])
                            else { return nil }
                            guard response.status == 201, let revision = response.header("X-Portcullis-Revision").flatMap(Int.init) else {
                                writes.unexpected("\(user): \(response.status) \(response.text)")
                                return nil
                            }
                            writes.acknowledged(user, revision: revision)
                        }
                        return nil
                    }
                }
                group.addTask {
                    // A caches k0's allow (its second answer), then dies with writes in flight.
                    let deadline = ContinuousClock.now + .seconds(30)
                    while writes.acknowledgedWrites.count < 12 || !writes.acknowledgedWrites.contains(where: { $0.user == "k0" }) {
                        guard ContinuousClock.now < deadline else { break }
                        try await Task.sleep(for: .milliseconds(2))  // waiting for the writers' progress (a condition with a deadline)
                    }
                    for _ in 0..<2 { #expect(try await a.client.decide("k0", "read", "generation", "g1").allowed) }
                    return await a.killNine()
                }
                var status: Int32?
                for try await result in group { status = status ?? result }
                return status
            }
            #expect(killed == SIGKILL, "A ended with \(killed.map(String.init) ?? "nothing") instead of SIGKILL")
            #expect(writes.unexpectedAnswers.isEmpty, "A answered a write with neither 201 nor nothing: \(writes.unexpectedAnswers.prefix(3))")
            let acknowledged = writes.acknowledgedWrites
            #expect(acknowledged.count >= 12)
            #expect(acknowledged.count < Self.users.count - 4, "the writers had finished before the kill: nothing was in flight")

            // B: every acknowledged grant is there and in B's answers, at once; it reports at least A's last revision.
            let lastRevision = acknowledged.map(\.revision).max() ?? 0
            for write in acknowledged {
                let answer = try await b.decide(write.user, "read", "generation", "g1")
                #expect(answer.allowed, "\(write.user): A acknowledged its grant at revision \(write.revision), B denies it")
                #expect(answer.revision >= lastRevision)
            }
            // Users never sent stay denied: B is not allowing everyone.
            let sent = writes.sentUsers
            for user in Self.users where !sent.contains(user) {
                #expect(try await !b.decide(user, "read", "generation", "g1").allowed, "\(user) was never granted")
            }
            // B keeps writing: nothing A held (its transaction, the revision row's lock) outlives A.
            #expect(try await b.delete("/api/v1/teams/t1/members/k0").status == 204)
            #expect(try await !b.decide("k0", "read", "generation", "g1").allowed)

            // A again, on its data directory (its caches held k0's allow): current answers, the grants it acknowledged
            // and B's delete made while A was down.
            let restarted = try await TestNodes.ServeProcess(postgresURL: database.url, dataDirectory: directory)
            defer { restarted.stopIfRunning() }
            #expect(try await !restarted.client.decide("k0", "read", "generation", "g1").allowed, "A serves the allow it cached before it died")
            for write in acknowledged where write.user != "k0" {
                #expect(try await restarted.client.decide(write.user, "read", "generation", "g1").allowed, "\(write.user) after A's restart")
            }
            let grant = try await restarted.client.put("/api/v1/teams/t1/members/k0", json: ["role": "viewer"])
            #expect(grant.status == 201, "\(grant.text)")
            #expect(try await b.decide("k0", "read", "generation", "g1").allowed)
            #expect(await restarted.terminate() == 0)
        }
    }
}
