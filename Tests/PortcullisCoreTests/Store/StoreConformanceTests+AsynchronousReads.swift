import Testing

@testable import PortcullisCore
@testable import PortcullisStore

/// The reads an `async` caller awaits (`decisionFacts(asynchronously:)`, `runBlockingRead`) and the engine's
/// asynchronous checks, on every backend: the same answers as the synchronous ones.
extension StoreConformanceTests {
    /// PostgreSQL answers `decisionFacts(asynchronously:)` with a prepared statement; well past the five executions after
    /// which it may keep one plan for every parameter, every answer must still equal the synchronous read's, and a write
    /// must show in the next one.
    @Test("a decision's facts read asynchronously equal the synchronous read, before and after a write", arguments: backends)
    func asynchronousDecisionFacts(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        for name in ["owen", "mia", "vic", "gone"] { try await fixture.user(name) }
        try await fixture.user("off", status: .disabled)
        try await fixture.team("t", owner: "owen")
        try await fixture.member("mia", of: "t", as: .editor, permissions: [.delete], startsAt: 1_000, expiresAt: 4_102_444_800_000)
        try await fixture.member("vic", of: "t", as: .viewer, active: false)
        try await fixture.project("p", owner: "owen", team: "t", visibility: .team)
        try await fixture.project("solo", owner: "owen")
        try await fixture.generation("g", owner: "owen", project: "p")
        try await fixture.generation("loose", owner: "vic")
        _ = try await store.deleteUser("gone")

        let ids: [ResourceType: [String]] = [.generation: ["g", "loose", "none"], .project: ["p", "solo", "none"], .team: ["t", "none"]]
        var compared = 0
        for user in ["owen", "mia", "vic", "gone", "off", "nobody"] {
            for type in ResourceType.allCases {
                for id in ids[type]! {
                    for action in type.actions {
                        let request = CheckRequest(userId: user, action: action, resourceType: type, resourceId: id)
                        let synchronous = try store.decisionFacts(request)
                        #expect(try await store.decisionFacts(asynchronously: request) == synchronous, "\(user) \(action.rawValue) \(type) \(id)")
                        compared += 1
                    }
                }
            }
        }
        #expect(compared > 100)

        let request = CheckRequest(userId: "mia", action: .delete, resourceType: .generation, resourceId: "g")
        let before = try await store.decisionFacts(asynchronously: request)
        guard case .generation(let generation?) = before.resource else {
            Issue.record("mia reads generation g: \(before)")
            return
        }
        #expect(generation.project?.membership?.permitsAction == true)
        _ = try await store.deleteMember(teamId: "t", userId: "mia")
        let after = try await store.decisionFacts(asynchronously: request)
        #expect(after.revision == before.revision + 1)
        guard case .generation(let unchanged?) = after.resource else {
            Issue.record("generation g is still there: \(after)")
            return
        }
        #expect(unchanged.project?.membership == nil, "the membership removed is not read any more: \(after)")
    }

    /// The engine's asynchronous checks give the synchronous ones' answers: plain, explained and as the subject (whose
    /// denials of unreadable resources are concealed); `runBlocking` passes a batch's answers and a listing's errors.
    @Test("asynchronous checks answer as synchronous ones; runBlocking passes answers and errors", arguments: backends)
    func asynchronousChecks(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        for name in ["owen", "mia", "eve"] { try await fixture.user(name) }
        try await fixture.team("t", owner: "owen")
        try await fixture.member("mia", of: "t", as: .viewer)
        try await fixture.project("p", owner: "owen", team: "t", visibility: .team)
        try await fixture.generation("g", owner: "owen", project: "p")
        let engine = fixture.engine
        var requests: [CheckRequest] = []
        for user in ["owen", "mia", "eve", "nobody"] {
            for action in ResourceType.generation.actions {
                var request = CheckRequest(userId: user, action: action, resourceType: .generation, resourceId: "g")
                requests.append(request)
                request.explain = true
                requests.append(request)
            }
        }
        for request in requests {
            let expected = try engine.check(request)
            let answered = try await engine.check(asynchronously: request)
            #expect(answered == expected, "\(request)")
            #expect(try await engine.checkAsSubject(asynchronously: request) == (try engine.checkAsSubject(request)), "\(request)")
        }
        let asked = requests
        let batch = try await engine.runBlocking { engine in try engine.check(batch: asked) }
        #expect(batch.map(\.reason) == (try asked.map { try engine.check($0).reason }))
        await #expect(throws: PortcullisError.self) {
            try await engine.runBlocking { engine in try engine.subjects(type: .generation, id: "none", action: .read, page: PageRequest()) }
        }
    }
}
