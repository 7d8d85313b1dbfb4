import Testing

@testable import PortcullisCore
@testable import PortcullisCache
@testable import PortcullisStore

/// `resources` and `subjects` must list exactly what `check` allows, page by page, with no duplicates.
@Suite("AuthorizationEngine listings")
struct AuthorizationListingTests {
    static let users = ["root", "alice", "bob", "carol", "dave", "erin", "frank", "gina"]
    static let projects = ["p-priv", "p-team1", "p-pub1", "p-team2", "p-pub2", "p-solo", "p-solo-pub", "p-del", "p-t3", "p-t3pub"]
    static let teams = ["t1", "t2", "t3"]
    static let generations = (0..<40).map { "g\($0 < 10 ? "0" : "")\($0)" }
    static let pageSize = 3

    /// 8 users (an admin, a disabled and a deleted one), 3 teams (one deleted), every role (some inactive, some with extra
    /// permissions), projects of each visibility (one deleted, two in the deleted team, two in no team), 40 generations
    /// (some deleted, some in no project).
    static func directory() async throws -> TestDirectory {
        let directory = try TestDirectory()
        try await directory.user("root", admin: true)
        for name in ["alice", "bob", "carol", "dave", "erin", "gina"] { try await directory.user(name) }
        try await directory.user("frank", status: .disabled)

        try await directory.team("t1", owner: "alice")
        try await directory.team("t2", owner: "bob")
        try await directory.team("t3", owner: "carol")
        try await directory.member("bob", of: "t1", as: .admin)
        try await directory.member("carol", of: "t1", as: .editor)
        try await directory.member("dave", of: "t1", as: .viewer, permissions: [.delete, .update])
        try await directory.member("erin", of: "t1", as: .viewer, active: false)
        try await directory.member("frank", of: "t1", as: .editor)
        try await directory.member("gina", of: "t1", as: .viewer)
        try await directory.member("alice", of: "t2", as: .viewer, permissions: [.createGeneration])
        try await directory.member("dave", of: "t2", as: .editor)
        try await directory.member("erin", of: "t2", as: .owner)
        try await directory.member("carol", of: "t2", as: .admin, permissions: [.delete], active: false)
        try await directory.member("dave", of: "t3", as: .admin)
        try await directory.member("erin", of: "t3", as: .editor)

        try await directory.project("p-priv", owner: "alice", team: "t1", visibility: .private)
        try await directory.project("p-team1", owner: "bob", team: "t1", visibility: .team)
        try await directory.project("p-pub1", owner: "carol", team: "t1", visibility: .public)
        try await directory.project("p-team2", owner: "erin", team: "t2", visibility: .team)
        try await directory.project("p-pub2", owner: "dave", team: "t2", visibility: .public)
        try await directory.project("p-solo", owner: "bob")
        try await directory.project("p-solo-pub", owner: "gina", visibility: .public)
        try await directory.project("p-del", owner: "alice", team: "t1", visibility: .team)
        try await directory.project("p-t3", owner: "dave", team: "t3", visibility: .team)
        try await directory.project("p-t3pub", owner: "erin", team: "t3", visibility: .public)

        let owners = ["alice", "bob", "carol", "dave", "erin", "frank", "gina"]
        for (index, id) in generations.enumerated() {
            let project: String? = index % 11 == 10 ? nil : projects[index % 11]
            try await directory.generation(id, owner: owners[index % owners.count], project: project)
            if index % 9 == 4 { try await directory.store.deleteGeneration(id) }
        }
        try await directory.store.deleteProject("p-del")
        try await directory.store.deleteTeam("t3")
        try await directory.store.deleteUser("gina")
        return directory
    }

    static func ids(of type: ResourceType) -> [String] {
        switch type {
        case .generation: generations + ["g-missing"]
        case .project: projects + ["p-missing"]
        case .team: teams + ["t-missing"]
        }
    }

    /// Every page of a listing, following `nextCursor`, checking page sizes on the way.
    static func allPages(sourceLocation: SourceLocation = #_sourceLocation, _ fetch: (PageRequest) throws -> Page<String>) throws -> [String] {
        var items: [String] = []
        var cursor: String?
        for _ in 0..<100 {
            let page = try fetch(PageRequest(cursor: cursor, limit: pageSize))
            #expect(page.items.count <= pageSize, sourceLocation: sourceLocation)
            #expect(page.nextCursor == nil || page.items.count == pageSize, "a page before the last is full", sourceLocation: sourceLocation)
            items += page.items
            guard let next = page.nextCursor else { return items }
            cursor = next
        }
        Issue.record("more than 100 pages: the cursor does not advance", sourceLocation: sourceLocation)
        return items
    }

    @Test("resources lists exactly what check allows", arguments: ResourceType.allCases)
    func resources(_ type: ResourceType) async throws {
        let directory = try await Self.directory()
        let engine = directory.engine
        var nonEmpty = 0
        for user in Self.users + ["nobody"] {
            for action in type.actions {
                let listed = try Self.allPages { try engine.resources(userId: user, type: type, action: action, page: $0).page }
                #expect(listed.count == Set(listed).count, "\(user) \(action.rawValue): duplicates in \(listed)")
                let allowed = try Self.ids(of: type).filter { try directory.check(user, action, type, $0).allowed }
                #expect(Set(listed) == Set(allowed), "\(user) \(action.rawValue) on \(type.rawValue)s")
                if !allowed.isEmpty { nonEmpty += 1 }
            }
        }
        #expect(nonEmpty > type.actions.count, "the directory gives several users something to list")
    }

    @Test("subjects lists exactly the users check allows", arguments: ResourceType.allCases)
    func subjects(_ type: ResourceType) async throws {
        let directory = try await Self.directory()
        let engine = directory.engine
        for id in Self.ids(of: type) {
            for action in type.actions {
                let allowed = try Self.users.filter { try directory.check($0, action, type, id).allowed }
                let exists = try directory.check("root", action, type, id).reason != .notFound
                guard exists else {
                    #expect(allowed.isEmpty)
                    #expect {
                        try engine.subjects(type: type, id: id, action: action, page: PageRequest())
                    } throws: { ($0 as? PortcullisError)?.code == .notFound }
                    continue
                }
                let listed = try Self.allPages { try engine.subjects(type: type, id: id, action: action, page: $0).page }
                #expect(listed.count == Set(listed).count, "\(id) \(action.rawValue): duplicates in \(listed)")
                #expect(Set(listed) == Set(allowed), "\(action.rawValue) on \(type.rawValue) \(id)")
            }
        }
    }

    @Test("listings report the revision they were read at")
    func listingRevision() async throws {
        let directory = try await Self.directory()
        let revision = try directory.store.revision()
        #expect(try directory.engine.resources(userId: "alice", type: .generation, action: .read, page: PageRequest()).revision == revision)
        #expect(try directory.engine.subjects(type: .team, id: "t1", action: .read, page: PageRequest()).revision == revision)
    }

    static let badCursors = ["!!!", "not a cursor", Base64URL.encode(Array("a\u{1F}b\u{1F}c\u{1F}d".utf8))]

    @Test("a cursor this server did not issue is invalid", arguments: ResourceType.allCases, badCursors)
    func invalidCursor(_ type: ResourceType, _ cursor: String) async throws {
        let directory = try await Self.directory()
        let engine = directory.engine
        let isInvalid: @Sendable (any Error) -> Bool = { ($0 as? PortcullisError).map { $0.code.status == 400 } == true }
        for user in ["root", "alice", "nobody"] {
            #expect(performing: {
                try engine.resources(userId: user, type: type, action: .read, page: PageRequest(cursor: cursor, limit: 3))
            }, throws: isInvalid)
        }
        #expect(performing: {
            try engine.subjects(type: type, id: Self.ids(of: type)[1], action: .read, page: PageRequest(cursor: cursor, limit: 3))
        }, throws: isInvalid)
    }
}
