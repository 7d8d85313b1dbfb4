import Foundation
import PortcullisCore
import PortcullisTestSupport
import Testing

/// SPEC 8.2 under faults: the change log is written in each write's transaction, so `kill -9` can never leave a
/// write without its changes or changes without their write; SIGTERM ends open change streams cleanly.
extension CrashSafetyTests {
    /// Every id of one kind of entity, through the store's pages.
    static func allIds<T>(_ fetch: (PageRequest) async throws -> Page<T>, _ id: (T) -> String) async throws -> Set<String> {
        var ids: Set<String> = []
        var request = PageRequest(limit: PageRequest.maxLimit)
        while true {
            let page = try await fetch(request)
            ids.formUnion(page.items.map(id))
            guard let next = page.nextCursor else { return ids }
            request = PageRequest(cursor: next, limit: PageRequest.maxLimit)
        }
    }

    @Test("SIGKILL under write load: every acknowledged write has its change, and no change exists without its data")
    func killNineChangeLog() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var random = SplitMix64(seed: 0xC4A9)
        var checked = 0
        for iteration in 0..<3 {
            let port = CommandRunner.freePort()
            let server = try Self.start(directory, port: port)
            let acknowledged = Acknowledged()
            let killAfter = 100 + Int(random.next() % 300)
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<4 { group.addTask { await Self.writer("c\(iteration)w\(writer)", port: port, acknowledged: acknowledged) } }
                group.addTask {
                    // The kill lands at a random moment of the write load (a fault, not a synchronization).
                    try? await Task.sleep(for: .milliseconds(killAfter))
                    kill(server.processIdentifier, SIGKILL)
                }
            }
            server.waitUntilExit()
            #expect(server.terminationStatus == SIGKILL)

            let store = try SQLiteStore(StoreConfiguration(path: directory + "/portcullis.sqlite"))
            var changes: [Change] = []
            var position = ChangePosition(revision: 0)
            while true {
                let page = try await store.changes(ChangeQuery(after: position, limit: 1000))
                if page.items.isEmpty { break }
                changes += page.items
                position = page.end(after: position)
            }
            let byRevision = Dictionary(grouping: changes, by: \.revision)
            for write in acknowledged.writes.withLock({ $0 }) {
                // "/api/v1/users/u-x" → a `user` change for "u-x" at the acknowledged revision.
                let parts = write.path.split(separator: "/")
                let entity = String(parts[2].dropLast())
                let found = byRevision[write.revision]?.contains { $0.entity.rawValue == entity && $0.entityId == parts[3] && $0.op == .create }
                #expect(found == true, "iteration \(iteration): acknowledged \(write.path) at \(write.revision) has no change")
                checked += 1
            }
            // The log and the data agree entity by entity: a change exists exactly for each row that was committed.
            func created(_ entity: ChangeEntity) -> Set<String> { Set(changes.filter { $0.entity == entity && $0.op == .create }.map(\.entityId)) }
            #expect(created(.user) == (try await Self.allIds({ try await store.users($0) }, \.id)), "iteration \(iteration): users")
            #expect(created(.team) == (try await Self.allIds({ try await store.teams($0) }, \.id)), "iteration \(iteration): teams")
            #expect(created(.project) == (try await Self.allIds({ try await store.projects($0) }, \.id)), "iteration \(iteration): projects")
            #expect(created(.generation) == (try await Self.allIds({ try await store.generations($0) }, \.id)), "iteration \(iteration): generations")
            #expect(Set(changes.map { "\($0.revision):\($0.seq)" }).count == changes.count)
        }
        #expect(checked > 3, "too few writes were acknowledged to prove anything")
    }

    @Test("SIGTERM with an open change stream: the stream ends cleanly and the process exits 0")
    func sigtermEndsStreams() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = CommandRunner.freePort()
        let server = try Self.start(directory, port: port)
        let reader = try EventStreamReader(port: port, path: "/api/v1/changes/stream?since=0", bearer: Self.adminKey, timeoutSeconds: 10)
        #expect(await reader.head() == 200)
        #expect(await reader.events(1).first?.json["entity"] as? String == "api_key", "the bootstrap key's change")
        let start = ContinuousClock.now
        server.terminate()
        #expect(await reader.end(), "the chunked response was terminated, not cut")
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
        #expect(ContinuousClock.now - start < .seconds(5))
    }
}
