import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

/// The console's finding aids on every backend, each against an oracle built from the plain lists and from `check`.
extension StoreConformanceTests {
    /// The listing directory with two more members of t1: one whose membership has not started, one whose has ended.
    static func searchDirectory(_ backend: StoreFactory) async throws -> StoreFixture {
        let fixture = try await listingDirectory(backend)
        try await fixture.user("hana")
        try await fixture.user("ivy")
        let now = WallClock.system.milliseconds()
        try await fixture.member("hana", of: "t1", as: .editor, startsAt: now + 86_400_000)
        try await fixture.member("ivy", of: "t1", as: .viewer, startsAt: now - 2 * 86_400_000, expiresAt: now - 86_400_000)
        return fixture
    }

    static func all<T>(_ read: (PageRequest) async throws -> Page<T>, limit: Int = 3) async throws -> [T] {
        var items: [T] = []
        var page = PageRequest(limit: limit)
        while true {
            let answer = try await read(page)
            items += answer.items
            guard let next = answer.nextCursor else { return items }
            page.cursor = next
        }
    }

    @Test("user search: id prefixes exactly, email prefixes lowercased, live users only, paged in id order", arguments: backends)
    func userSearch(_ backend: StoreFactory) async throws {
        let fixture = try await Self.searchDirectory(backend)
        try await fixture.user("Alpha")
        let everyone = try await Self.all { try await fixture.store.users($0) }
        for prefix in ["a", "A", "al", "ALICE@", "b", "alice@example", "z", "é", "\u{10FFFF}"] {
            let expected = everyone.filter { $0.id.utf8.starts(with: prefix.utf8) || $0.email.utf8.starts(with: prefix.lowercased().utf8) }.map(\.id)
            let found = try await Self.all { try await fixture.store.users(matching: prefix, $0) }.map(\.id)
            #expect(found == expected, "\(prefix)")
        }
        #expect(try await Self.all { try await fixture.store.users(matching: "gina", $0) }.isEmpty, "a deleted user is not found")
    }

    @Test("team search: id prefixes exactly, names with ASCII case folded, live teams only, paged in id order", arguments: backends)
    func teamSearch(_ backend: StoreFactory) async throws {
        let fixture = try await Self.searchDirectory(backend)
        let names = [("design", "Design"), ("DESK", "desk team"), ("ops", "Opérations"), ("ops-eu", "OPÉRATIONS EU"), ("x", "Zebra[night]"),
                     ("y", "zebra@home"), ("gone", "Design (old)")]
        for (id, name) in names { _ = try await fixture.store.createTeam(NewTeam(id: id, name: name, ownerId: "alice")) }
        _ = try await fixture.store.deleteTeam("gone")
        let everyone = try await Self.all { try await fixture.store.teams($0) }
        for prefix in ["d", "D", "DES", "desk", "Team t", "team T", "op", "OPÉ", "opé", "zebra", "ZEBRA ", "zebra@", "zebra[", "é", "\u{10FFFF}"] {
            let folded = PrefixRange.asciiLowercased(prefix)
            let expected = everyone.filter {
                $0.id.utf8.starts(with: prefix.utf8) || PrefixRange.asciiLowercased($0.name).utf8.starts(with: folded.utf8)
            }.map(\.id)
            let found = try await Self.all { try await fixture.store.teams(matching: prefix, $0) }.map(\.id)
            #expect(found == expected, "\(prefix)")
        }
        #expect(try await Self.all { try await fixture.store.teams(matching: "des", $0) }.map(\.id) == ["DESK", "design"],
                "ids exactly, names folded; the deleted team is not found")
        #expect(try await Self.all { try await fixture.store.teams(matching: "opé", $0) }.map(\.id) == ["ops"], "only ASCII letters are folded")
        #expect(try await Self.all { try await fixture.store.teams(matching: "zebra[", $0) }.map(\.id) == ["x"],
                "a character just past an ASCII letter is not folded into the range")
    }

    @Test("projects and generations by owner, team, project: exactly the plain list's live rows that match", arguments: backends)
    func filteredLists(_ backend: StoreFactory) async throws {
        let fixture = try await Self.searchDirectory(backend)
        let projects = try await Self.all { try await fixture.store.projects($0) }
        let generations = try await Self.all { try await fixture.store.generations($0) }
        let liveTeamProjects = Dictionary(grouping: projects.filter { $0.teamId != nil }, by: { $0.teamId! }).mapValues { Set($0.map(\.id)) }
        for owner in AuthorizationListingTests.users + [nil] {
            for team in AuthorizationListingTests.teams + [nil] {
                let filter = ProjectFilter(ownerId: owner, teamId: team)
                let expected = projects.filter { p in (owner == nil || p.ownerId == owner) && (team == nil || p.teamId == team) }.map(\.id)
                #expect(try await Self.all { try await fixture.store.projects(filter, $0) }.map(\.id) == expected, "\(filter)")
                for project in ["p-team1", "p-t3", "p-del", nil] {
                    let filter = GenerationFilter(ownerId: owner, projectId: project, teamId: team)
                    let expected = generations.filter { g in
                        (owner == nil || g.ownerId == owner) && (project == nil || g.projectId == project)
                            && (team == nil || g.projectId.map { liveTeamProjects[team!]?.contains($0) == true } == true)
                    }.map(\.id)
                    #expect(try await Self.all { try await fixture.store.generations(filter, $0) }.map(\.id) == expected, "\(filter)")
                }
            }
        }
    }

    @Test("a user's memberships: every live team's, inactive, pending and expired included; not_found for a deleted user", arguments: backends)
    func userMemberships(_ backend: StoreFactory) async throws {
        let fixture = try await Self.searchDirectory(backend)
        let teams = try await Self.all { try await fixture.store.teams($0) }
        for user in AuthorizationListingTests.users + ["hana", "ivy"] where user != "gina" {
            var expected: [TeamMember] = []
            for team in teams { expected += try await fixture.store.members(teamId: team.id).filter { $0.userId == user } }
            #expect(try await fixture.store.memberships(userId: user) == expected, "\(user)")
        }
        await #expect(throws: PortcullisError.self) { try await fixture.store.memberships(userId: "gina") }
        await #expect(throws: PortcullisError.self) { try await fixture.store.memberships(userId: "nobody") }
    }

    /// The oracle: make the change, ask `check` who reads each generation before and after, count those that differ, undo.
    @Test("visibility preview: the generations whose readers change, as check sees them once the change is made", arguments: backends)
    func visibilityPreview(_ backend: StoreFactory) async throws {
        let fixture = try await Self.searchDirectory(backend)
        let users = AuthorizationListingTests.users + ["hana", "ivy"]
        let generations = try await Self.all { try await fixture.store.generations($0) }
        func readers(_ generation: String) throws -> Set<String> {
            Set(try users.filter { try fixture.check($0, .read, .generation, generation).allowed })
        }
        for project in AuthorizationListingTests.projects where project != "p-del" {
            let original = try await fixture.store.project(project).visibility
            let inProject = generations.filter { $0.projectId == project }.map(\.id)
            let before = try Dictionary(uniqueKeysWithValues: inProject.map { ($0, try readers($0)) })
            for visibility in Visibility.allCases {
                let preview = try await fixture.store.visibilityPreview(projectId: project, to: visibility, now: WallClock.system.milliseconds())
                try await fixture.store.updateProject(project, ProjectPatch(visibility: visibility))
                let changed = try inProject.filter { try readers($0) != before[$0] }.count
                try await fixture.store.updateProject(project, ProjectPatch(visibility: original))
                #expect(preview.generations == inProject.count && preview.changedGenerations == changed,
                        "\(project) \(original) → \(visibility): preview \(preview.changedGenerations) of \(preview.generations), check says \(changed)")
                #expect(preview.visibility == original && preview.proposedVisibility == visibility)
            }
        }
        await #expect(throws: PortcullisError.self) {
            try await fixture.store.visibilityPreview(projectId: "p-del", to: .public, now: WallClock.system.milliseconds())
        }
    }
}
