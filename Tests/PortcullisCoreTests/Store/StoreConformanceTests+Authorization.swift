import Foundation
import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

/// Decisions, facts and listings through `AuthorizationStore`, on every backend.
extension StoreConformanceTests {
    /// Every row of the rule matrix (`Relationship.all`) under every visibility, each cell with its own actor, team,
    /// project and generation, all in one directory; each check must give `SpecRules`' expected reason.
    @Test("checks follow the rule matrix", arguments: backends)
    func ruleMatrix(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        for name in ["alice", "paula", "tina"] { try await fixture.user(name) }
        var cells: [(relationship: Relationship, visibility: Visibility, suffix: String)] = []
        for (row, relationship) in Relationship.all.enumerated() {
            for visibility in Visibility.allCases {
                let suffix = "\(row)-\(visibility.rawValue)"
                try await fixture.user("actor-\(suffix)", admin: relationship.kind == .admin)
                try await fixture.team("t-\(suffix)", owner: "tina")
                try await fixture.project("p-\(suffix)", owner: relationship.kind == .projectOwner ? "actor-\(suffix)" : "paula", team: "t-\(suffix)",
                                          visibility: visibility)
                try await fixture.generation("g-\(suffix)", owner: relationship.kind == .generationOwner ? "actor-\(suffix)" : "alice",
                                             project: "p-\(suffix)")
                if let role = relationship.role {
                    try await fixture.member("actor-\(suffix)", of: "t-\(suffix)", as: role, permissions: relationship.permissions,
                                             active: relationship.isActive)
                }
                if relationship.teamDeleted { _ = try await fixture.store.deleteTeam("t-\(suffix)") }
                cells.append((relationship, visibility, suffix))
            }
        }
        let revision = try fixture.store.revision()
        for cell in cells {
            for type in ResourceType.allCases {
                let id = "\(type == .generation ? "g" : type == .project ? "p" : "t")-\(cell.suffix)"
                for action in type.actions {
                    let expected = SpecRules.expectedCode(cell.relationship, type, action, visibility: cell.visibility)
                    let decision = try fixture.check("actor-\(cell.suffix)", action, type, id)
                    #expect(decision.reason.code == expected, "\(cell.relationship.testDescription), \(cell.visibility): \(action.rawValue) on \(type)")
                    #expect(decision.allowed == SpecRules.isAllowed(expected))
                    #expect(decision.revision == revision)
                }
            }
        }
    }

    /// `decisionFacts` (SQLite: one statement without BEGIN … COMMIT) reads what a snapshot's separate reads give, for
    /// present, absent, deleted and inactive users and resources, and bounded, inactive and granting memberships.
    @Test("one decision's facts read at once equal the snapshot's separate reads", arguments: backends)
    func decisionFactsAtOnce(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        for name in ["owen", "mia", "vic", "gone"] { try await fixture.user(name) }
        try await fixture.user("root", admin: true)
        try await fixture.user("off", status: .disabled)
        try await fixture.team("t", owner: "owen")
        try await fixture.team("old", owner: "owen")
        try await fixture.member("mia", of: "t", as: .editor, permissions: [.delete], startsAt: 1_000, expiresAt: 4_102_444_800_000)
        try await fixture.member("vic", of: "t", as: .viewer, active: false)
        try await fixture.member("off", of: "t", as: .admin)
        try await fixture.project("p", owner: "owen", team: "t", visibility: .team)
        try await fixture.project("pub", owner: "vic", team: "old", visibility: .public)
        try await fixture.project("solo", owner: "owen")
        try await fixture.generation("g", owner: "owen", project: "p")
        try await fixture.generation("gp", owner: "mia", project: "pub")
        try await fixture.generation("loose", owner: "vic")
        try await fixture.generation("dropped", owner: "mia", project: "p")
        _ = try await store.deleteGeneration("dropped")
        _ = try await store.deleteTeam("old")
        _ = try await store.deleteUser("gone")

        let ids: [ResourceType: [String]] = [.generation: ["g", "gp", "loose", "dropped", "none"], .project: ["p", "pub", "solo", "none"],
                                             .team: ["t", "old", "none"]]
        var compared = 0
        for user in ["owen", "mia", "vic", "gone", "root", "off", "nobody"] {
            for type in ResourceType.allCases {
                for id in ids[type]! {
                    for action in type.actions {
                        let request = CheckRequest(userId: user, action: action, resourceType: type, resourceId: id)
                        let separately = try store.withSnapshot { snapshot in try DecisionFacts(request, in: snapshot, revision: snapshot.revision()) }
                        #expect(try store.decisionFacts(request) == separately, "\(user) \(action.rawValue) \(type) \(id)")
                        compared += 1
                    }
                }
            }
        }
        #expect(compared > 200)
        let mia = try store.decisionFacts(CheckRequest(userId: "mia", action: .delete, resourceType: .generation, resourceId: "g"))
        guard case .generation(let generation?) = mia.resource, let membership = generation.project?.membership else {
            Issue.record("mia's membership is read: \(mia)")
            return
        }
        #expect(membership.startsAt == 1_000 && membership.expiresAt == 4_102_444_800_000 && membership.permitsAction && membership.role == .editor)
        #expect(mia.revision == (try store.revision()))
    }

    @Test("soft deletes in decisions: deleted users, teams, projects and generations", arguments: backends)
    func softDeleteDecisions(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        for name in ["owen", "mia", "dora"] { try await fixture.user(name) }
        try await fixture.team("t", owner: "owen")
        try await fixture.member("mia", of: "t", as: .editor)
        try await fixture.project("p", owner: "owen", team: "t", visibility: .team)
        try await fixture.project("solo", owner: "owen")
        try await fixture.generation("g", owner: "owen", project: "p")
        try await fixture.generation("mine", owner: "mia", project: "solo")
        try await fixture.generation("loose", owner: "dora")
        #expect(try fixture.check("mia", .update, .generation, "g").reason == .teamRole(.editor))
        #expect(try fixture.check("mia", .read, .team, "t").reason == .teamRole(.editor))

        // A deleted team grants nothing through its memberships, and is itself not found.
        _ = try await store.deleteTeam("t")
        #expect(try fixture.check("mia", .update, .generation, "g").reason == .noGrant)
        #expect(try fixture.check("mia", .read, .project, "p").reason == .noGrant)
        #expect(try fixture.check("mia", .read, .team, "t").reason == .notFound)
        #expect(try fixture.check("owen", .update, .generation, "g").reason == .owner, "owners do not depend on the team")

        // A deleted project makes its generations not found, even to their owners.
        _ = try await store.deleteProject("solo")
        #expect(try fixture.check("mia", .read, .generation, "mine").reason == .notFound)
        #expect(try fixture.check("owen", .read, .project, "solo").reason == .notFound)

        _ = try await store.deleteGeneration("loose")
        #expect(try fixture.check("dora", .read, .generation, "loose").reason == .notFound)

        _ = try await store.deleteUser("owen")
        #expect(try fixture.check("owen", .read, .generation, "g").reason == .userInactive)
        _ = try await store.updateUser("dora", UserPatch(status: .disabled), passwordHash: nil)
        #expect(try fixture.check("dora", .read, .generation, "loose").reason == .userInactive)
        #expect(try fixture.check("nobody", .read, .generation, "g").reason == .userInactive)
    }

    @Test("snapshot facts: absent rows are nil, deleted ones are marked, memberships carry role grants and extra permissions",
          arguments: backends)
    func snapshotFacts(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        for name in ["owen", "mia", "vic", "gone"] { try await fixture.user(name) }
        try await fixture.user("root", admin: true, status: .disabled)
        try await fixture.team("t", owner: "owen")
        try await fixture.team("dead", owner: "owen")
        try await fixture.member("mia", of: "t", as: .viewer, permissions: [.delete, .createGeneration])
        try await fixture.member("vic", of: "dead", as: .admin, active: false)
        try await fixture.project("p", owner: "owen", team: "t", visibility: .public)
        try await fixture.project("q", owner: "owen", team: "dead", visibility: .team)
        try await fixture.generation("g", owner: "owen", project: "p")
        try await fixture.generation("h", owner: "mia", project: "q")
        try await fixture.generation("loose", owner: "vic")
        _ = try await store.deleteTeam("dead")
        _ = try await store.deleteProject("q")
        _ = try await store.deleteGeneration("loose")
        _ = try await store.deleteUser("gone")
        let revision = try store.revision()

        try store.withSnapshot { snapshot throws -> Void in
            #expect(try snapshot.revision() == revision)
            #expect(try snapshot.subject("mia") == SubjectFacts(isAdmin: false, isActive: true))
            #expect(try snapshot.subject("root") == SubjectFacts(isAdmin: true, isActive: false))
            #expect(try snapshot.subject("gone") == SubjectFacts(isAdmin: false, isActive: false))
            #expect(try snapshot.subject("nobody") == nil)

            let viewer = { (grants: Bool, permits: Bool) in MembershipFacts(role: .viewer, roleGrantsAction: grants, permitsAction: permits, isActive: true) }
            #expect(try snapshot.generation("g", userId: "mia", action: .delete) == GenerationFacts(
                ownerId: "owen", isDeleted: false,
                project: ProjectFacts(ownerId: "owen", teamId: "t", visibility: .public, isDeleted: false, teamIsDeleted: false,
                                      membership: viewer(false, true)),
                projectId: "p"))
            #expect(try snapshot.generation("g", userId: "mia", action: .download)?.project?.membership == viewer(true, false))
            #expect(try snapshot.generation("g", userId: "vic", action: .read)?.project?.membership == nil)
            #expect(try snapshot.generation("h", userId: "vic", action: .read) == GenerationFacts(
                ownerId: "mia", isDeleted: false,
                project: ProjectFacts(ownerId: "owen", teamId: "dead", visibility: .team, isDeleted: true, teamIsDeleted: true,
                                      membership: MembershipFacts(role: .admin, roleGrantsAction: true, permitsAction: false, isActive: false)),
                projectId: "q"))
            #expect(try snapshot.generation("loose", userId: "vic", action: .read) == GenerationFacts(ownerId: "vic", isDeleted: true, project: nil))
            #expect(try snapshot.generation("nothing", userId: "vic", action: .read) == nil)

            #expect(try snapshot.project("p", userId: "mia", action: .createGeneration) == ProjectFacts(
                ownerId: "owen", teamId: "t", visibility: .public, isDeleted: false, teamIsDeleted: false, membership: viewer(false, true)))
            #expect(try snapshot.project("p", userId: "mia", action: .read)?.membership == viewer(true, false))
            #expect(try snapshot.project("nothing", userId: "mia", action: .read) == nil)

            // Extra permissions never count on a team.
            #expect(try snapshot.team("t", userId: "mia", action: .read) == TeamFacts(isDeleted: false, membership: viewer(true, false)))
            #expect(try snapshot.team("t", userId: "mia", action: .manageMembers) == TeamFacts(isDeleted: false, membership: viewer(false, false)))
            #expect(try snapshot.team("t", userId: "owen", action: .manageMembers)?.membership?.roleGrantsAction == true)
            #expect(try snapshot.team("dead", userId: "mia", action: .read) == TeamFacts(isDeleted: true, membership: nil))
            #expect(try snapshot.team("nothing", userId: "mia", action: .read) == nil)
        }
    }

    @Test("a snapshot sees one revision while a write commits", arguments: backends)
    func snapshotIsolation(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        try await fixture.user("alice")
        let before = try store.revision()
        try store.withSnapshot { snapshot throws -> Void in
            #expect(try snapshot.revision() == before)
            #expect(try snapshot.subject("alice") != nil)
            // The import is synchronous; run it on another thread while this snapshot stays open.
            let done = DispatchSemaphore(value: 0)
            let lines: [(line: Int, text: Substring?)] = [(1, Substring(#"{"type":"user","id":"bob","email":"bob@example.com"}"#))]
            let thread = Thread {
                _ = try? store.importRecords(from: lines, hasher: PasswordHasher(iterations: 1000))
                done.signal()
            }
            thread.start()
            #expect(done.wait(timeout: .now() + 30) == .success, "a write does not wait for a reader")
            #expect(try store.revision() == before + 1)
            #expect(try snapshot.revision() == before)
            #expect(try snapshot.subject("bob") == nil)
        }
        #expect(try store.withSnapshot { try $0.subject("bob") } != nil)
    }
}
