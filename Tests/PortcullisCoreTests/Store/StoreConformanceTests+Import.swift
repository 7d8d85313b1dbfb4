import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

/// Import and persisted versions, on every backend.
extension StoreConformanceTests {
    // MARK: Import

    static let importHasher = PasswordHasher(iterations: 1000)

    static func numbered(_ lines: [String]) -> [(line: Int, text: Substring?)] {
        lines.enumerated().map { (line: $0.offset + 1, text: Substring($0.element)) }
    }

    @Test("import: every line or nothing, in one write that moves the epoch", arguments: backends)
    func importAllOrNothing(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        try await fixture.user("existing")
        let good = SQLiteStoreImportTests.goodLines
        let written = try await fixture.expectCommit([.epoch]) {
            try store.importRecords(from: Self.numbered(good), hasher: Self.importHasher)
        }
        var counts = ImportCounts()
        (counts.users, counts.teams, counts.members, counts.projects, counts.generations) = (3, 1, 1, 1, 3)
        #expect(written.value == counts)
        #expect(written.revision == (try store.revision()))
        #expect(try await store.team("t1").createdAt == "2026-01-31T12:00:00Z")
        #expect(try await store.members(teamId: "t1").map(\.userId) == ["alice", "bob"])
        #expect(try await store.generation("g2").createdAt == "2026-01-31T12:00:00.250Z")
        try await fixture.expectFailure(.notFound("generation", "g3")) { try await store.generation("g3") }
        #expect(try store.userCredentials(email: "bob@example.com")?.passwordHash == SQLiteStoreImportTests.bobHash)
        let aliceHash = try #require(try store.userCredentials(email: "alice@example.com")?.passwordHash)
        #expect(PasswordHasher.verify("correct horse battery", against: aliceHash))
        #expect(try fixture.check("bob", .delete, .generation, "g1").reason == .teamPermission(.delete))

        // The same lines again: every id is taken now, so every line fails and nothing is stored.
        let before = try await store.users(PageRequest()).items
        let again = SQLiteStoreImportTests.goodLines.filter { !$0.isEmpty && !$0.contains(#""type":"member""#) }
        var error: PortcullisError?
        try await fixture.expectFailure(.invalidImport) {
            do {
                return try store.importRecords(from: Self.numbered(again), hasher: Self.importHasher)
            } catch let thrown as PortcullisError {
                error = thrown
                throw thrown
            }
        }
        #expect(error?.details?.map(\.line) == Array(1...again.count))
        #expect(error?.details?.first?.message == "user 'alice' already exists")
        #expect(try await store.users(PageRequest()).items == before)
    }

    @Test("import: one bad line rejects the whole import, naming the line; references within the import resolve", arguments: backends,
          SQLiteStoreImportTests.badLines)
    func importBadLine(_ backend: StoreFactory, _ bad: SQLiteStoreImportTests.BadLine) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        try await fixture.user("existing")
        var lines = SQLiteStoreImportTests.goodLines
        lines.insert(bad.text, at: 6)
        var error: PortcullisError?
        try await fixture.expectFailure(.invalidImport) {
            do {
                return try store.importRecords(from: Self.numbered(lines), hasher: Self.importHasher)
            } catch let thrown as PortcullisError {
                error = thrown
                throw thrown
            }
        }
        let details = try #require(error?.details)
        #expect(details.map(\.line) == [7])
        #expect(details.first?.message.contains(bad.mentions) == true, "\(details)")
        #expect(try await store.users(PageRequest()).items.map(\.id) == ["existing"])
        #expect(try await store.teams(PageRequest()).items.isEmpty)
        #expect(try await store.generations(PageRequest()).items.isEmpty)
        #expect(try fixture.check("existing", .read, .team, "t1").reason == .notFound)
    }

    // MARK: Versions

    @Test("the database identity: one value across writes, another for another database", arguments: backends)
    func databaseIdentity(_ backend: StoreFactory) async throws {
        let fixture = try backend.make(), other = try backend.make()
        let identity = try fixture.store.databaseIdentity()
        #expect(!identity.isEmpty)
        try await fixture.user("alice")
        #expect(try fixture.store.databaseIdentity() == identity)
        #expect(try other.store.databaseIdentity() != identity)
    }

    @Test("persisted versions: each moved dependency at the revision of the last write that moved it", arguments: backends)
    func persistedVersions(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        let initial = try store.persistedVersions()
        #expect(initial.versions.isEmpty && initial.revision == 0)
        try await fixture.user("alice")
        try await fixture.user("bob")
        let team = try await fixture.team("t", owner: "alice")
        try await fixture.project("p", owner: "alice", team: "t")
        let project = try await store.updateProject("p", ProjectPatch(visibility: .team)).revision
        let member = try await fixture.member("bob", of: "t", as: .viewer)
        let renamed = try await store.updateTeam("t", TeamPatch(name: "T")).revision
        let key = try await store.createAPIKey(name: "k", scopes: [.authz], secret: .generate(), source: .api).value
        let keys = try await store.deleteAPIKey(key.id)
        let imported = try store.importRecords(from: Self.numbered([#"{"type":"user","id":"carol","email":"carol@example.com"}"#]),
                                               hasher: Self.importHasher).revision
        let persisted = try store.persistedVersions()
        let revision = try store.revision()
        #expect(persisted.revision == imported && imported == revision)
        let versions = Dictionary(uniqueKeysWithValues: persisted.versions.map { ($0.key, $0.version) })
        #expect(versions == [.user("alice"): team, .project("p"): project, .user("bob"): member, .team("t"): renamed, .apiKeys: keys,
                             .epoch: imported])
        #expect(fixture.log.all.map(\.revision) == Array(1...imported), "every revision announced once, in order")
    }
}
