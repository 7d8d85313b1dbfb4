import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

/// Projects, generations and the management listings, on every backend.
extension StoreConformanceTests {
    // MARK: Projects and generations

    @Test("projects: create, read, change (team taken away too), soft-delete, list, and their reference errors", arguments: backends)
    func projects(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        for name in ["paula", "quinn", "gone"] { try await fixture.user(name) }
        try await fixture.team("t", owner: "paula")
        try await fixture.team("dead", owner: "paula")
        _ = try await store.deleteTeam("dead")
        _ = try await store.deleteUser("gone")

        let project = try await fixture.expectCommit([]) {
            try await store.createProject(NewProject(id: "p", name: "Shared", ownerId: "paula", teamId: "t", visibility: .team))
        }
        #expect(project.value == Project(id: "p", name: "Shared", ownerId: "paula", teamId: "t", visibility: .team, createdAt: project.value.createdAt))
        #expect(try await store.project("p") == project.value)
        #expect(try await store.createProject(NewProject(name: "Generated", ownerId: "paula")).value.id.hasPrefix("prj_"))

        let changed = try await fixture.expectCommit([.project("p")]) {
            try await store.updateProject("p", ProjectPatch(name: "Open", ownerId: "quinn", visibility: .public))
        }
        #expect(changed.value.name == "Open" && changed.value.ownerId == "quinn" && changed.value.teamId == "t" && changed.value.visibility == .public)
        let teamless = try await fixture.expectCommit([.project("p")]) { try await store.updateProject("p", ProjectPatch(teamId: .some(nil))) }
        #expect(teamless.value.teamId == nil)
        #expect(try await store.project("p") == teamless.value)

        for owner in ["nobody", "gone"] {
            try await fixture.expectFailure(.unknownReference("owner_id", owner)) {
                try await store.createProject(NewProject(id: "p2", name: "P2", ownerId: owner))
            }
            try await fixture.expectFailure(.unknownReference("owner_id", owner)) { try await store.updateProject("p", ProjectPatch(ownerId: owner)) }
        }
        for team in ["t9", "dead"] {
            try await fixture.expectFailure(.unknownReference("team_id", team)) {
                try await store.createProject(NewProject(id: "p2", name: "P2", ownerId: "paula", teamId: team))
            }
            try await fixture.expectFailure(.unknownReference("team_id", team)) { try await store.updateProject("p", ProjectPatch(teamId: .some(team))) }
        }
        try await fixture.expectFailure(PortcullisError(.conflict, "project 'p' already exists")) {
            try await store.createProject(NewProject(id: "p", name: "Again", ownerId: "paula"))
        }
        #expect(try await store.project("p") == teamless.value, "failed writes changed nothing")

        try await fixture.expectCommit([.project("p")]) { try await store.deleteProject("p") }
        try await fixture.expectFailure(.notFound("project", "p")) { try await store.project("p") }
        try await fixture.expectFailure(.notFound("project", "p")) { try await store.deleteProject("p") }
        try await fixture.expectFailure(.notFound("project", "p")) { try await store.updateProject("p", ProjectPatch(name: "x")) }
        try await fixture.expectFailure(PortcullisError(.conflict, "project 'p' already exists")) {
            try await store.createProject(NewProject(id: "p", name: "Again", ownerId: "paula"))
        }
        #expect(try await store.projects(PageRequest()).items.map(\.name) == ["Generated"])
    }

    @Test("generations: create, read, change, soft-delete, list, and their reference errors", arguments: backends)
    func generations(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        for name in ["gail", "hugo", "gone"] { try await fixture.user(name) }
        try await fixture.project("p", owner: "gail")
        try await fixture.project("q", owner: "gail")
        try await fixture.project("dead", owner: "gail")
        _ = try await store.deleteProject("dead")
        _ = try await store.deleteUser("gone")

        let generation = try await fixture.expectCommit([]) {
            try await store.createGeneration(NewGeneration(id: "g", ownerId: "gail", projectId: "p", status: .running))
        }
        #expect(generation.value == Generation(id: "g", ownerId: "gail", projectId: "p", status: .running, mediaKey: nil,
                                               createdAt: generation.value.createdAt))
        #expect(try await store.generation("g") == generation.value)
        #expect(try await store.createGeneration(NewGeneration(ownerId: "gail")).value.id.hasPrefix("gen_"))

        let changed = try await fixture.expectCommit([.generation("g")]) {
            try await store.updateGeneration("g", GenerationPatch(ownerId: "hugo", projectId: .some("q"), status: .completed, mediaKey: .some("m/g.png")))
        }
        #expect(changed.value == Generation(id: "g", ownerId: "hugo", projectId: "q", status: .completed, mediaKey: "m/g.png",
                                            createdAt: generation.value.createdAt))
        let cleared = try await fixture.expectCommit([.generation("g")]) {
            try await store.updateGeneration("g", GenerationPatch(projectId: .some(nil), mediaKey: .some(nil)))
        }
        #expect(cleared.value.projectId == nil && cleared.value.mediaKey == nil && cleared.value.status == .completed)

        for owner in ["nobody", "gone"] {
            try await fixture.expectFailure(.unknownReference("owner_id", owner)) { try await store.createGeneration(NewGeneration(id: "g2", ownerId: owner)) }
            try await fixture.expectFailure(.unknownReference("owner_id", owner)) { try await store.updateGeneration("g", GenerationPatch(ownerId: owner)) }
        }
        for project in ["p9", "dead"] {
            try await fixture.expectFailure(.unknownReference("project_id", project)) {
                try await store.createGeneration(NewGeneration(id: "g2", ownerId: "gail", projectId: project))
            }
            try await fixture.expectFailure(.unknownReference("project_id", project)) {
                try await store.updateGeneration("g", GenerationPatch(projectId: .some(project)))
            }
        }
        #expect(try await store.generation("g") == cleared.value, "failed writes changed nothing")

        // A live generation in a deleted project can still be read (decisions call it not_found).
        try await fixture.generation("in-p", owner: "gail", project: "p")
        _ = try await store.deleteProject("p")
        #expect(try await store.generation("in-p").projectId == "p")

        try await fixture.expectCommit([.generation("g")]) { try await store.deleteGeneration("g") }
        try await fixture.expectFailure(.notFound("generation", "g")) { try await store.generation("g") }
        try await fixture.expectFailure(.notFound("generation", "g")) { try await store.deleteGeneration("g") }
        try await fixture.expectFailure(.notFound("generation", "g")) { try await store.updateGeneration("g", GenerationPatch(status: .failed)) }
        try await fixture.expectFailure(PortcullisError(.conflict, "generation 'g' already exists")) {
            try await store.createGeneration(NewGeneration(id: "g", ownerId: "gail"))
        }
        #expect(try await store.generations(PageRequest()).items.count == 2)
    }

    // MARK: Pages

    @Test("management listings page through live entities in id order", arguments: backends)
    func pages(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        let names = ["u5", "u1", "u3", "u4", "u2", "u6", "U0", "u-0"]
        for name in names { try await fixture.user(name) }
        _ = try await store.deleteUser("u4")
        let expected = names.filter { $0 != "u4" }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for limit in [1, 2, 3, 7, 8, 100] {
            #expect(try await fixture.allPages(limit: limit) { try await store.users($0) }.map(\.id) == expected, "limit \(limit)")
        }
        for (index, name) in names.enumerated() {
            try await fixture.team("t\(index)", owner: name == "u4" ? "u1" : name)
            try await fixture.project("p\(index)", owner: "u1")
            try await fixture.generation("g\(index)", owner: "u1")
        }
        _ = try await store.deleteTeam("t3")
        _ = try await store.deleteProject("p3")
        _ = try await store.deleteGeneration("g3")
        let ids = (0..<names.count).filter { $0 != 3 }.map(String.init)
        #expect(try await fixture.allPages(limit: 3) { try await store.teams($0) }.map(\.id) == ids.map { "t\($0)" })
        #expect(try await fixture.allPages(limit: 3) { try await store.projects($0) }.map(\.id) == ids.map { "p\($0)" })
        #expect(try await fixture.allPages(limit: 3) { try await store.generations($0) }.map(\.id) == ids.map { "g\($0)" })

        for cursor in ["!!!", Base64URL.encode(Array("a\u{1F}b".utf8))] {
            try await fixture.expectFailure(.invalidField) { try await store.users(PageRequest(cursor: cursor)) }
            try await fixture.expectFailure(.invalidField) { try await store.generations(PageRequest(cursor: cursor)) }
        }
    }
}
