import Testing

@testable import PortcullisCore
@testable import PortcullisStore

/// Paging, filters and retention of the change log, on every backend.
extension StoreConformanceTests {
    /// Generations of user `first` (cheap to import on every backend: no email to compare).
    static func generationLines(_ range: Range<Int>) -> [String] {
        range.map { #"{"type":"generation","id":"bulk\#($0)","owner_id":"first"}"# }
    }

    /// Every change after `position`, page by page, with the pages' cursors.
    static func readAll(_ store: any Store, after position: ChangePosition, limit: Int) async throws -> (changes: [Change], pages: [ChangePage]) {
        var position = position
        var changes: [Change] = [], pages: [ChangePage] = []
        while true {
            let page = try await store.changes(ChangeQuery(after: position, limit: limit))
            if page.items.isEmpty { return (changes, pages) }
            changes += page.items
            pages.append(page)
            position = page.end(after: position)
        }
    }

    @Test("a revision of up to 10,000 changes is never split; a larger one is paged by <revision>:<seq> cursor", arguments: backends)
    func pagingLargeRevisions(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        try await fixture.user("first")
        let whole = try store.importRecords(from: Self.numbered(Self.generationLines(0..<10_000)), hasher: Self.importHasher).revision
        let large = try store.importRecords(from: Self.numbered(Self.generationLines(10_000..<20_500)), hasher: Self.importHasher).revision
        try await fixture.user("last")

        // A page of limit 10 that reaches a 10,000-change revision goes on to its end.
        let first = try await store.changes(ChangeQuery(after: ChangePosition(revision: 0), limit: 10))
        #expect(first.items.count == 10_001 && first.nextCursor == nil && first.nextSince == whole)
        // The 10,500-change revision: cut at `limit` with a cursor, entered again in the middle.
        let (changes, pages) = try await Self.readAll(store, after: ChangePosition(revision: whole), limit: 1000)
        #expect(changes.count == 10_501)
        #expect(changes.map { "\($0.revision):\($0.seq)" } == (0..<10_500).map { "\(large):\($0)" } + ["\(large + 1):0"])
        #expect(pages[0].nextCursor == ChangePosition(revision: large, seq: 999) && pages[0].partialRevisions == [large])
        #expect(pages[1].nextCursor == ChangePosition(revision: large, seq: 1999))
        #expect(pages.last?.partialRevisions.contains(large + 1) == false)
        // A cursor resumes exactly after its change; `since` alone skips the rest of the revision.
        let resumed = try await store.changes(ChangeQuery(after: ChangePosition(revision: large, seq: 4999), limit: 1))
        #expect(resumed.items.map(\.seq) == [5000])
    }

    @Test("filters: entity and entity_id (a membership's is <team_id>/<user_id>)", arguments: backends)
    func filters(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        try await fixture.user("a")
        try await fixture.user("b")
        try await fixture.team("t", owner: "a")
        try await fixture.member("b", of: "t", as: .viewer)
        try await fixture.member("b", of: "t", as: .editor)
        let members = try await store.changes(ChangeQuery(after: ChangePosition(revision: 0), entity: .member)).items
        #expect(members.map(\.entityId) == ["t/a", "t/b", "t/b"])
        let bob = try await store.changes(ChangeQuery(after: ChangePosition(revision: 0), entityId: "t/b")).items
        #expect(bob.map(\.op) == [.create, .update])
        let user = try await store.changes(ChangeQuery(after: ChangePosition(revision: 0), entity: .user, entityId: "b")).items
        #expect(user.map(\.entityId) == ["b"])
    }

    @Test("retention removes whole revisions recorded before the cutoff and moves the horizon; below it is changes_expired",
          arguments: backends)
    func retention(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        try await fixture.user("a")
        try await fixture.team("t", owner: "a")
        #expect(try await store.pruneChanges(recordedBefore: "2000-01-01T00:00:00.000Z") == 0)
        #expect(try await store.changeHorizon() == 0)
        let last = try store.revision()
        #expect(try await store.pruneChanges(recordedBefore: "2999-01-01T00:00:00.000Z") == 3)
        #expect(try await store.changeHorizon() == last)
        for since in [0, last - 1] {
            try await fixture.expectFailure(.changesExpired) { try await store.changes(ChangeQuery(after: ChangePosition(revision: since))) }
        }
        try await fixture.user("b")
        #expect(try await store.changes(ChangeQuery(after: ChangePosition(revision: last))).items.map(\.entityId) == ["b"])
    }
}
