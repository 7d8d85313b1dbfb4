import Testing

@testable import PortcullisCore
@testable import PortcullisCache
@testable import PortcullisStore

/// `AuthorizationEngine.check` end to end through a real SQLite store: the rule matrix, then consistency after writes.
@Suite("AuthorizationEngine")
struct AuthorizationEngineTests {
    /// A directory where `actor` relates to generation `g`, project `p` (in team `t`, with `visibility`) and team `t` as `relationship`.
    static func directory(_ relationship: Relationship, _ visibility: Visibility) async throws -> TestDirectory {
        let directory = try TestDirectory()
        try await directory.user("actor", admin: relationship.kind == .admin)
        for name in ["alice", "paula", "tina"] { try await directory.user(name) }
        try await directory.team("t", owner: "tina")
        try await directory.project("p", owner: relationship.kind == .projectOwner ? "actor" : "paula", team: "t", visibility: visibility)
        try await directory.generation("g", owner: relationship.kind == .generationOwner ? "actor" : "alice", project: "p")
        if let role = relationship.role {
            try await directory.member("actor", of: "t", as: role, permissions: relationship.permissions, active: relationship.isActive)
        }
        if relationship.teamDeleted { try await directory.store.deleteTeam("t") }
        return directory
    }

    // MARK: The rule matrix through the store

    @Test("checks follow the rule matrix", arguments: Relationship.all, Visibility.allCases)
    func ruleMatrix(_ relationship: Relationship, _ visibility: Visibility) async throws {
        let directory = try await Self.directory(relationship, visibility)
        let revision = try directory.store.revision()
        for (type, id) in [(ResourceType.generation, "g"), (.project, "p"), (.team, "t")] {
            for action in type.actions {
                let expected = SpecRules.expectedCode(relationship, type, action, visibility: visibility)
                let plain = try directory.check("actor", action, type, id)
                #expect(plain.reason.code == expected, "\(action.rawValue) on \(type.rawValue)")
                #expect(plain.allowed == SpecRules.isAllowed(expected), "\(action.rawValue) on \(type.rawValue)")
                #expect(plain.explanation == nil)
                #expect(plain.revision == revision)
                let explained = try directory.check("actor", action, type, id, explain: true)
                #expect(explained.reason == plain.reason)
                SpecRules.expectExplanation(explained, type)
            }
        }
    }

    enum InactiveUser: String, Sendable, CaseIterable {
        case disabled, deleted, absent
    }

    @Test("an absent, deleted or disabled user is denied user_inactive, even an admin who owns everything",
          arguments: InactiveUser.allCases, ResourceType.allCases)
    func inactiveUser(_ state: InactiveUser, _ type: ResourceType) async throws {
        let directory = try TestDirectory()
        try await directory.user("actor", admin: true, status: state == .disabled ? .disabled : .active)
        try await directory.team("t", owner: "actor")
        try await directory.project("p", owner: "actor", team: "t", visibility: .public)
        try await directory.generation("g", owner: "actor", project: "p")
        if state == .deleted { try await directory.store.deleteUser("actor") }
        let userId = state == .absent ? "nobody" : "actor"
        let id = switch type {
        case .generation: "g"
        case .project: "p"
        case .team: "t"
        }
        for action in type.actions {
            let decision = try directory.check(userId, action, type, id, explain: true)
            #expect(decision.reason.code == "user_inactive")
            #expect(!decision.allowed)
            SpecRules.expectExplanation(decision, type)
        }
    }

    enum Missing: String, Sendable, CaseIterable {
        case absentGeneration, deletedGeneration, generationInDeletedProject, absentProject, deletedProject, absentTeam, deletedTeam
    }

    @Test("missing and deleted resources are not_found, for admins and owners alike", arguments: Missing.allCases, [false, true])
    func notFound(_ missing: Missing, _ admin: Bool) async throws {
        let directory = try TestDirectory()
        try await directory.user("actor", admin: admin)
        try await directory.team("t", owner: "actor")
        try await directory.project("p", owner: "actor", team: "t", visibility: .public)
        try await directory.generation("g", owner: "actor", project: "p")
        let (type, id): (ResourceType, String)
        switch missing {
        case .absentGeneration: (type, id) = (.generation, "nothing")
        case .deletedGeneration:
            try await directory.store.deleteGeneration("g")
            (type, id) = (.generation, "g")
        case .generationInDeletedProject:
            try await directory.store.deleteProject("p")
            (type, id) = (.generation, "g")
        case .absentProject: (type, id) = (.project, "nothing")
        case .deletedProject:
            try await directory.store.deleteProject("p")
            (type, id) = (.project, "p")
        case .absentTeam: (type, id) = (.team, "nothing")
        case .deletedTeam:
            try await directory.store.deleteTeam("t")
            (type, id) = (.team, "t")
        }
        for action in type.actions {
            let decision = try directory.check("actor", action, type, id, explain: true)
            #expect(decision.reason.code == "not_found")
            SpecRules.expectExplanation(decision, type)
        }
    }

    @Test("a generation in no project is open to its owner and admins only", arguments: ResourceType.generation.actions)
    func generationWithoutProject(_ action: Action) async throws {
        let directory = try TestDirectory()
        try await directory.user("alice")
        try await directory.user("root", admin: true)
        try await directory.user("bob")
        try await directory.team("t", owner: "bob")
        try await directory.generation("g", owner: "alice")
        #expect(try directory.check("alice", action, .generation, "g").reason.code == "owner")
        #expect(try directory.check("root", action, .generation, "g").reason.code == "admin")
        let stranger = try directory.check("bob", action, .generation, "g", explain: true)
        #expect(stranger.reason.code == "no_grant")
        SpecRules.expectExplanation(stranger, .generation)
    }

    // MARK: Writes are visible to the next check

    /// One kind of write, and what `bob`'s check of `action` on `resource` says before and after it.
    struct WriteCase: Sendable, CustomTestStringConvertible {
        var name: String
        var action: Action
        var resource: (type: ResourceType, id: String) = (.generation, "g")
        var before: String
        var after: String
        var write: @Sendable (SQLiteStore) async throws -> Int64

        var testDescription: String { name }
    }

    static let writes: [WriteCase] = [
        WriteCase(name: "revoke membership", action: .update, before: "team_role:editor", after: "no_grant") {
            try await $0.deleteMember(teamId: "t", userId: "bob")
        },
        WriteCase(name: "set membership inactive", action: .read, before: "team_role:editor", after: "no_grant") {
            try await $0.putMember(teamId: "t", userId: "bob", MembershipInput(role: .editor, isActive: false)).member.revision
        },
        WriteCase(name: "change role", action: .update, before: "team_role:editor", after: "no_grant") {
            try await $0.putMember(teamId: "t", userId: "bob", MembershipInput(role: .viewer)).member.revision
        },
        WriteCase(name: "add extra permission", action: .delete, before: "no_grant", after: "team_permission:delete") {
            try await $0.putMember(teamId: "t", userId: "bob", MembershipInput(role: .editor, permissions: [.delete])).member.revision
        },
        WriteCase(name: "manage_members after promotion", action: .manageMembers, resource: (.team, "t"), before: "no_grant",
                  after: "team_role:admin") {
            try await $0.putMember(teamId: "t", userId: "bob", MembershipInput(role: .admin)).member.revision
        },
        WriteCase(name: "disable user", action: .read, before: "team_role:editor", after: "user_inactive") {
            try await $0.updateUser("bob", UserPatch(status: .disabled), passwordHash: nil).revision
        },
        WriteCase(name: "make user admin", action: .delete, before: "no_grant", after: "admin") {
            try await $0.updateUser("bob", UserPatch(isAdmin: true), passwordHash: nil).revision
        },
        WriteCase(name: "delete user", action: .read, before: "team_role:editor", after: "user_inactive") {
            try await $0.deleteUser("bob")
        },
        WriteCase(name: "delete project", action: .read, before: "team_role:editor", after: "not_found") {
            try await $0.deleteProject("p")
        },
        WriteCase(name: "delete project (project check)", action: .read, resource: (.project, "p"), before: "team_role:editor",
                  after: "not_found") {
            try await $0.deleteProject("p")
        },
        WriteCase(name: "change visibility to private", action: .download, before: "team_role:editor", after: "no_grant") {
            try await $0.updateProject("p", ProjectPatch(visibility: .private)).revision
        },
        WriteCase(name: "take project out of its team", action: .read, resource: (.project, "p"), before: "team_role:editor",
                  after: "no_grant") {
            try await $0.updateProject("p", ProjectPatch(teamId: .some(nil))).revision
        },
        WriteCase(name: "move generation to a private project", action: .read, before: "team_role:editor", after: "no_grant") {
            try await $0.updateGeneration("g", GenerationPatch(projectId: .some("q"))).revision
        },
        WriteCase(name: "move generation out of any project", action: .read, before: "team_role:editor", after: "no_grant") {
            try await $0.updateGeneration("g", GenerationPatch(projectId: .some(nil))).revision
        },
        WriteCase(name: "give generation to the user", action: .delete, before: "no_grant", after: "owner") {
            try await $0.updateGeneration("g", GenerationPatch(ownerId: "bob")).revision
        },
        WriteCase(name: "delete generation", action: .read, before: "team_role:editor", after: "not_found") {
            try await $0.deleteGeneration("g")
        },
        WriteCase(name: "delete team", action: .read, before: "team_role:editor", after: "no_grant") {
            try await $0.deleteTeam("t")
        },
        WriteCase(name: "delete team (team check)", action: .read, resource: (.team, "t"), before: "team_role:editor", after: "not_found") {
            try await $0.deleteTeam("t")
        },
    ]

    /// alice owns `g` in team project `p`; bob is an editor of `t`; `q` is paula's private project.
    static func sharedDirectory() async throws -> TestDirectory {
        let directory = try TestDirectory()
        for name in ["alice", "bob", "paula", "tina"] { try await directory.user(name) }
        try await directory.team("t", owner: "tina")
        try await directory.member("bob", of: "t", as: .editor)
        try await directory.project("p", owner: "paula", team: "t", visibility: .team)
        try await directory.project("q", owner: "paula")
        try await directory.generation("g", owner: "alice", project: "p")
        return directory
    }

    @Test("after an awaited write the next check reflects it", arguments: writes)
    func writeThenCheck(_ write: WriteCase) async throws {
        let directory = try await Self.sharedDirectory()
        let engine = directory.engine
        let request = CheckRequest(userId: "bob", action: write.action, resourceType: write.resource.type, resourceId: write.resource.id)
        // Several checks first, so reader connections and their prepared statements are warm when the write lands.
        for _ in 0..<3 {
            #expect(try engine.check(request).reason.code == write.before)
            _ = try engine.check(batch: [request, request])
        }
        let revisionBefore = try directory.store.revision()
        let revision = try await write.write(directory.store)
        #expect(revision == revisionBefore + 1)
        let after = try engine.check(request)
        #expect(after.reason.code == write.after)
        #expect(after.allowed == SpecRules.isAllowed(write.after))
        #expect(after.revision == revision)
        #expect(try engine.check(batch: [request]).map(\.reason.code) == [write.after])
    }

    @Test("every write advances the revision by one, and decisions report the revision they saw")
    func revisionGrows() async throws {
        let directory = try TestDirectory()
        let engine = directory.engine
        var revisions: [Int64] = [try directory.store.revision()]
        let request = CheckRequest(userId: "alice", action: .read, resourceType: .generation, resourceId: "g")
        let writes: [(TestDirectory) async throws -> Int64] = [
            { try await $0.user("alice") },
            { try await $0.user("bob") },
            { try await $0.team("t", owner: "alice") },
            { try await $0.member("bob", of: "t", as: .viewer) },
            { try await $0.project("p", owner: "alice", team: "t", visibility: .team) },
            { try await $0.generation("g", owner: "alice", project: "p") },
            { try await $0.store.updateProject("p", ProjectPatch(name: "renamed")).revision },
            { try await $0.store.updateGeneration("g", GenerationPatch(status: .failed)).revision },
            { try await $0.store.deleteMember(teamId: "t", userId: "bob") },
            { try await $0.store.deleteGeneration("g") },
        ]
        for write in writes {
            let revision = try await write(directory)
            #expect(revision == revisions.last! + 1)
            #expect(try directory.store.revision() == revision)
            #expect(try engine.check(request).revision == revision)
            revisions.append(revision)
        }
    }

    @Test("a failed write changes nothing, not even the revision")
    func failedWriteKeepsRevision() async throws {
        let directory = try await Self.sharedDirectory()
        let revision = try directory.store.revision()
        await #expect(throws: PortcullisError.self) { try await directory.user("bob") }
        await #expect(throws: PortcullisError.self) { try await directory.generation("g2", owner: "nobody") }
        await #expect(throws: PortcullisError.self) { try await directory.store.deleteMember(teamId: "t", userId: "alice") }
        #expect(try directory.store.revision() == revision)
        #expect(try directory.check("bob", .read, .generation, "g").revision == revision)
    }

    @Test("a batch answers in order, at one revision, as single checks would")
    func batch() async throws {
        let directory = try await Self.sharedDirectory()
        try await directory.user("root", admin: true)
        var requests: [CheckRequest] = []
        for user in ["alice", "bob", "paula", "tina", "root", "nobody"] {
            for (type, id) in [(ResourceType.generation, "g"), (.project, "p"), (.project, "q"), (.team, "t"), (.generation, "missing")] {
                for action in type.actions {
                    requests.append(CheckRequest(userId: user, action: action, resourceType: type, resourceId: id, explain: action == .read))
                }
            }
        }
        let engine = directory.engine
        let batch = try engine.check(batch: requests)
        let singles = try requests.map { try engine.check($0) }
        #expect(batch == singles)
        #expect(Set(batch.map(\.revision)) == [try directory.store.revision()])
        #expect(Set(batch.map(\.reason.code)).count > 5, "the batch covers many different reasons")
        #expect(try engine.check(batch: []).isEmpty)
    }
}
