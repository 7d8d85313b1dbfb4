import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

/// `resources` and `subjects` against `check`, on every backend and across them.
extension StoreConformanceTests {
    // MARK: Listings

    /// `AuthorizationListingTests`' directory, written through the protocols: 8 users (an admin, a disabled and a
    /// deleted one), 3 teams (one deleted), every role (some inactive, some with extra permissions), projects of each
    /// visibility (one deleted, two in the deleted team, two in no team), 40 generations (some deleted, some in no project).
    static func listingDirectory(_ backend: StoreFactory) async throws -> StoreFixture {
        let fixture = try backend.make()
        try await fixture.user("root", admin: true)
        for name in ["alice", "bob", "carol", "dave", "erin", "gina"] { try await fixture.user(name) }
        try await fixture.user("frank", status: .disabled)
        try await fixture.team("t1", owner: "alice")
        try await fixture.team("t2", owner: "bob")
        try await fixture.team("t3", owner: "carol")
        let memberships: [(String, String, TeamRole, [Action], Bool)] = [
            ("bob", "t1", .admin, [], true), ("carol", "t1", .editor, [], true), ("dave", "t1", .viewer, [.delete, .update], true),
            ("erin", "t1", .viewer, [], false), ("frank", "t1", .editor, [], true), ("gina", "t1", .viewer, [], true),
            ("alice", "t2", .viewer, [.createGeneration], true), ("dave", "t2", .editor, [], true), ("erin", "t2", .owner, [], true),
            ("carol", "t2", .admin, [.delete], false), ("dave", "t3", .admin, [], true), ("erin", "t3", .editor, [], true),
        ]
        for (user, team, role, permissions, active) in memberships {
            try await fixture.member(user, of: team, as: role, permissions: permissions, active: active)
        }
        let projects: [(String, String, String?, Visibility)] = [
            ("p-priv", "alice", "t1", .private), ("p-team1", "bob", "t1", .team), ("p-pub1", "carol", "t1", .public),
            ("p-team2", "erin", "t2", .team), ("p-pub2", "dave", "t2", .public), ("p-solo", "bob", nil, .private),
            ("p-solo-pub", "gina", nil, .public), ("p-del", "alice", "t1", .team), ("p-t3", "dave", "t3", .team),
            ("p-t3pub", "erin", "t3", .public),
        ]
        for (id, owner, team, visibility) in projects { try await fixture.project(id, owner: owner, team: team, visibility: visibility) }
        let owners = ["alice", "bob", "carol", "dave", "erin", "frank", "gina"]
        for (index, id) in AuthorizationListingTests.generations.enumerated() {
            let project: String? = index % 11 == 10 ? nil : AuthorizationListingTests.projects[index % 11]
            try await fixture.generation(id, owner: owners[index % owners.count], project: project)
            if index % 9 == 4 { _ = try await fixture.store.deleteGeneration(id) }
        }
        _ = try await fixture.store.deleteProject("p-del")
        _ = try await fixture.store.deleteTeam("t3")
        _ = try await fixture.store.deleteUser("gina")
        return fixture
    }

    /// The order every backend lists resources in: ids in `BINARY` order, except a non-administrator's generations —
    /// their own first, then other users' by project, then id.
    static func listingOrder(_ fixture: StoreFixture, userId: String, type: ResourceType, _ ids: [String]) async throws -> [String] {
        let byteOrder: (String, String) -> Bool = { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        guard type == .generation, try fixture.store.withSnapshot({ try $0.subject(userId) })?.isAdmin == false else {
            return ids.sorted(by: byteOrder)
        }
        var keyed: [(key: [String], id: String)] = []
        for id in ids {
            let generation = try await fixture.store.generation(id)
            keyed.append((generation.ownerId == userId ? ["0", "", id] : ["1", generation.projectId ?? "", id], id))
        }
        return keyed.sorted { $0.key.lexicographicallyPrecedes($1.key, by: byteOrder) }.map(\.id)
    }

    @Test("resources lists exactly what check allows, complete pages in the documented order", arguments: backends, ResourceType.allCases)
    func resources(_ backend: StoreFactory, _ type: ResourceType) async throws {
        let fixture = try await Self.listingDirectory(backend)
        var nonEmpty = 0
        for user in AuthorizationListingTests.users + ["nobody"] {
            for action in type.actions {
                let listed = try await fixture.allPages(limit: AuthorizationListingTests.pageSize) {
                    try fixture.engine.resources(userId: user, type: type, action: action, page: $0).page
                }
                let allowed = try AuthorizationListingTests.ids(of: type).filter { try fixture.check(user, action, type, $0).allowed }
                #expect(listed == (try await Self.listingOrder(fixture, userId: user, type: type, allowed)), "\(user) \(action.rawValue) on \(type)s")
                if !allowed.isEmpty { nonEmpty += 1 }
            }
        }
        #expect(nonEmpty > type.actions.count, "the directory gives several users something to list")
    }

    @Test("subjects lists exactly the users check allows, in id order; absent resources are nil", arguments: backends, ResourceType.allCases)
    func subjects(_ backend: StoreFactory, _ type: ResourceType) async throws {
        let fixture = try await Self.listingDirectory(backend)
        for id in AuthorizationListingTests.ids(of: type) {
            for action in type.actions {
                let allowed = try AuthorizationListingTests.users.filter { try fixture.check($0, action, type, id).allowed }
                guard try fixture.check("root", action, type, id).reason != .notFound else {
                    #expect(allowed.isEmpty)
                    #expect(try fixture.store.withSnapshot { try $0.subjects(type: type, id: id, action: action, now: fixture.engine.clock.milliseconds(), page: PageRequest()) } == nil)
                    continue
                }
                let listed = try await fixture.allPages(limit: AuthorizationListingTests.pageSize) {
                    try fixture.engine.subjects(type: type, id: id, action: action, page: $0).page
                }
                #expect(listed == allowed.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, "\(action.rawValue) on \(type) \(id)")
            }
        }
    }

    @Test("a cursor the store did not issue is an invalid field", arguments: backends, ResourceType.allCases)
    func invalidCursor(_ backend: StoreFactory, _ type: ResourceType) async throws {
        let fixture = try await Self.listingDirectory(backend)
        for cursor in AuthorizationListingTests.badCursors {
            for user in ["root", "alice", "frank", "nobody"] {
                try await fixture.expectFailure(.invalidField, message: "cursor: is not a cursor this server issued") {
                    try fixture.engine.resources(userId: user, type: type, action: .read, page: PageRequest(cursor: cursor, limit: 3))
                }
            }
            try await fixture.expectFailure(.invalidField) {
                try fixture.engine.subjects(type: type, id: AuthorizationListingTests.ids(of: type)[1], action: .read,
                                            page: PageRequest(cursor: cursor, limit: 3))
            }
        }
    }

    /// Cursors are opaque but not signed: whatever a client sends back, a page lists nothing `check` denies. A cursor
    /// is either refused (400) or resumes a listing of allowed ids only — including one that names, in the SQL backend's
    /// cursor format, a project the user cannot see.
    @Test("a forged cursor lists nothing check denies", arguments: backends)
    func forgedCursor(_ backend: StoreFactory) async throws {
        let fixture = try await Self.listingDirectory(backend)
        for user in AuthorizationListingTests.users {
            for action in ResourceType.generation.actions {
                for project in AuthorizationListingTests.projects + ["p-missing"] {
                    for phase in ["owned", "shared"] {
                        let cursor = Cursor.encode([phase, project, ""])
                        let page: Page<String>
                        do {
                            page = try fixture.engine.resources(userId: user, type: .generation, action: action,
                                                                page: PageRequest(cursor: cursor, limit: 100)).page
                        } catch let error as PortcullisError where error.code == .invalidField {
                            continue
                        }
                        let denied = try page.items.filter { try !fixture.check(user, action, .generation, $0).allowed }
                        #expect(denied.isEmpty, "\(user) \(action.rawValue) after (\(phase), \(project)): listed \(denied), which check denies")
                    }
                }
            }
        }
    }

    @Test("a cursor taken before a grant is revoked resumes with what check allows now", arguments: backends)
    func staleCursor(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        for name in ["owen", "mia"] { try await fixture.user(name) }
        try await fixture.team("t", owner: "owen")
        try await fixture.member("mia", of: "t", as: .viewer)
        try await fixture.project("p", owner: "owen", team: "t", visibility: .team)
        for index in 0..<6 { try await fixture.generation("g\(index)", owner: "owen", project: "p") }
        let first = try fixture.engine.resources(userId: "mia", type: .generation, action: .read, page: PageRequest(limit: 2)).page
        #expect(first.items == ["g0", "g1"])
        _ = try await store.deleteMember(teamId: "t", userId: "mia")
        let rest = try await fixture.allPages(limit: 2) { request in
            try fixture.engine.resources(userId: "mia", type: .generation, action: .read,
                                         page: PageRequest(cursor: request.cursor ?? first.nextCursor, limit: 2)).page
        }
        #expect(rest.isEmpty, "mia may read nothing any more, yet the next pages list \(rest)")
    }

    /// The backends against each other: the same directory gives the same pages, item for item (cursors may differ).
    @Test("every backend lists the same pages")
    func listingsAgree() async throws {
        var pages: [String: [String: [[String]]]] = [:]
        for backend in Self.allBackends {
            let fixture = try await Self.listingDirectory(backend)
            var listings: [String: [[String]]] = [:]
            func collect(_ name: String, _ fetch: (PageRequest) throws -> Page<String>?) throws {
                var cursor: String?
                var collected: [[String]] = []
                repeat {
                    guard let page = try fetch(PageRequest(cursor: cursor, limit: 4)) else { break }
                    collected.append(page.items)
                    cursor = page.nextCursor
                } while cursor != nil && collected.count < 100
                listings[name] = collected
            }
            for type in ResourceType.allCases {
                for action in type.actions {
                    for user in AuthorizationListingTests.users + ["nobody"] {
                        try collect("resources \(user) \(action.rawValue) \(type)") { page in
                            try fixture.store.withSnapshot { try $0.resources(userId: user, type: type, action: action, now: fixture.engine.clock.milliseconds(), page: page) }
                        }
                    }
                    for id in AuthorizationListingTests.ids(of: type) {
                        try collect("subjects \(type) \(id) \(action.rawValue)") { page in
                            try fixture.store.withSnapshot { try $0.subjects(type: type, id: id, action: action, now: fixture.engine.clock.milliseconds(), page: page) }
                        }
                    }
                }
            }
            pages[backend.name] = listings
        }
        let reference = try #require(pages[Self.allBackends[0].name])
        for backend in Self.allBackends.dropFirst() {
            let other = try #require(pages[backend.name])
            #expect(other.keys.sorted() == reference.keys.sorted())
            for (name, expected) in reference where other[name] != expected {
                Issue.record("\(name): \(Self.allBackends[0].name) \(expected), \(backend.name) \(other[name] ?? [])")
            }
        }
    }
}
