import Testing

@testable import PortcullisCore
@testable import PortcullisPolicy

/// SPEC section 2 as a pure function: every rule × role × action × visibility, with expectations from `SpecRules`.
@Suite("Policy")
struct PolicyTests {
    static let actor = "u-actor"

    /// One cell of the rule matrix.
    struct MatrixCase: Sendable, CustomTestStringConvertible {
        var relationship: Relationship
        var action: Action
        var visibility: Visibility

        var testDescription: String { "\(relationship.testDescription) \(action.rawValue) on \(visibility.rawValue)" }

        static func all(_ type: ResourceType, visibilities: [Visibility] = Visibility.allCases) -> [MatrixCase] {
            Relationship.all.flatMap { relationship in
                type.actions.flatMap { action in visibilities.map { MatrixCase(relationship: relationship, action: action, visibility: $0) } }
            }
        }
    }

    // MARK: Facts as the store would read them for a relationship

    static func subject(_ relationship: Relationship) -> SubjectFacts {
        SubjectFacts(isAdmin: relationship.kind == .admin, isActive: true)
    }

    static func membership(_ relationship: Relationship, _ type: ResourceType, _ action: Action) -> MembershipFacts? {
        relationship.role.map { role in
            MembershipFacts(role: role, roleGrantsAction: SpecRules.grants(role, type, action),
                            permitsAction: relationship.permissions.contains(action), isActive: relationship.isActive)
        }
    }

    static func project(_ relationship: Relationship, _ type: ResourceType, _ action: Action, _ visibility: Visibility) -> ProjectFacts {
        ProjectFacts(ownerId: relationship.kind == .projectOwner ? actor : "u-paula", teamId: "t-1", visibility: visibility, isDeleted: false,
                     teamIsDeleted: relationship.teamDeleted, membership: membership(relationship, type, action))
    }

    static func generation(_ relationship: Relationship, _ action: Action, _ visibility: Visibility) -> GenerationFacts {
        GenerationFacts(ownerId: relationship.kind == .generationOwner ? actor : "u-alice", isDeleted: false,
                        project: project(relationship, .generation, action, visibility))
    }

    static func team(_ relationship: Relationship, _ action: Action) -> TeamFacts {
        TeamFacts(isDeleted: relationship.teamDeleted, membership: membership(relationship, .team, action))
    }

    /// Decides with and without an explanation and checks both against the expected reason.
    func expect(_ type: ResourceType, expected: String, sourceLocation: SourceLocation = #_sourceLocation,
                decide: (_ explain: Bool) -> Decision) {
        let plain = decide(false)
        #expect(plain.reason.code == expected, sourceLocation: sourceLocation)
        #expect(plain.allowed == SpecRules.isAllowed(expected), sourceLocation: sourceLocation)
        #expect(plain.explanation == nil, sourceLocation: sourceLocation)
        let explained = decide(true)
        #expect(explained.reason == plain.reason && explained.allowed == plain.allowed, sourceLocation: sourceLocation)
        SpecRules.expectExplanation(explained, type, sourceLocation: sourceLocation)
    }

    // MARK: The matrix

    @Test("generation rules", arguments: MatrixCase.all(.generation))
    func generationMatrix(_ cell: MatrixCase) {
        let expected = SpecRules.expectedCode(cell.relationship, .generation, cell.action, visibility: cell.visibility)
        expect(.generation, expected: expected) { explain in
            Policy.decide(user: Self.subject(cell.relationship), action: cell.action,
                          generation: Self.generation(cell.relationship, cell.action, cell.visibility), userId: Self.actor, now: 0, revision: 7,
                          explain: explain)
        }
    }

    @Test("project rules", arguments: MatrixCase.all(.project))
    func projectMatrix(_ cell: MatrixCase) {
        let expected = SpecRules.expectedCode(cell.relationship, .project, cell.action, visibility: cell.visibility)
        expect(.project, expected: expected) { explain in
            Policy.decide(user: Self.subject(cell.relationship), action: cell.action,
                          project: Self.project(cell.relationship, .project, cell.action, cell.visibility), userId: Self.actor, now: 0, revision: 7,
                          explain: explain)
        }
    }

    @Test("team rules", arguments: MatrixCase.all(.team, visibilities: [.team]))
    func teamMatrix(_ cell: MatrixCase) {
        let expected = SpecRules.expectedCode(cell.relationship, .team, cell.action, visibility: cell.visibility)
        expect(.team, expected: expected) { explain in
            Policy.decide(user: Self.subject(cell.relationship), action: cell.action, team: Self.team(cell.relationship, cell.action),
                          now: 0, revision: 7, explain: explain)
        }
    }

    // MARK: Rule 1: inactive users

    /// Absent (nil facts), deleted or disabled (inactive facts), admin or not: denied before the resource is looked at.
    static let inactiveSubjects: [SubjectFacts?] = [nil, SubjectFacts(isAdmin: false, isActive: false), SubjectFacts(isAdmin: true, isActive: false)]

    @Test("an absent, deleted or disabled user is denied user_inactive", arguments: inactiveSubjects, ResourceType.allCases)
    func inactiveUser(_ user: SubjectFacts?, _ type: ResourceType) {
        for action in type.actions {
            expect(type, expected: "user_inactive") { explain in
                switch type {
                case .generation:
                    Policy.decide(user: user, action: action, generation: GenerationFacts(ownerId: Self.actor, isDeleted: false, project: nil),
                                  userId: Self.actor, now: 0, revision: 1, explain: explain)
                case .project:
                    Policy.decide(user: user, action: action, project: ProjectFacts(
                        ownerId: Self.actor, teamId: nil, visibility: .public, isDeleted: false, teamIsDeleted: false, membership: nil),
                                  userId: Self.actor, now: 0, revision: 1, explain: explain)
                case .team:
                    Policy.decide(user: user, action: action, team: TeamFacts(isDeleted: false, membership: MembershipFacts(
                        role: .owner, roleGrantsAction: true, permitsAction: true, isActive: true)), now: 0, revision: 1, explain: explain)
                }
            }
        }
    }

    @Test("an inactive user is denied even when the resource is missing")
    func inactiveBeforeNotFound() {
        let decision = Policy.decide(user: nil, action: .read, generation: nil, userId: Self.actor, now: 0, revision: 1, explain: true)
        #expect(decision.reason.code == "user_inactive")
        #expect(decision.explanation?.map(\.rule) == ["user_active"])
    }

    // MARK: Rule 2: missing resources

    static let liveProject = ProjectFacts(ownerId: actor, teamId: nil, visibility: .public, isDeleted: false, teamIsDeleted: false, membership: nil)
    static let deletedProject = ProjectFacts(ownerId: actor, teamId: nil, visibility: .public, isDeleted: true, teamIsDeleted: false, membership: nil)

    /// Missing generations, including a live one in a deleted project; the actor owns each, so only existence can deny.
    static let missingGenerations: [GenerationFacts?] = [
        nil,
        GenerationFacts(ownerId: actor, isDeleted: true, project: nil),
        GenerationFacts(ownerId: actor, isDeleted: true, project: liveProject),
        GenerationFacts(ownerId: actor, isDeleted: false, project: deletedProject),
    ]

    @Test("a missing or deleted generation, or one in a deleted project, is not_found even for admins and owners",
          arguments: missingGenerations, [false, true])
    func generationNotFound(_ generation: GenerationFacts?, _ admin: Bool) {
        for action in ResourceType.generation.actions {
            expect(.generation, expected: "not_found") { explain in
                Policy.decide(user: SubjectFacts(isAdmin: admin, isActive: true), action: action, generation: generation, userId: Self.actor,
                              now: 0, revision: 1, explain: explain)
            }
        }
    }

    @Test("a missing or deleted project is not_found", arguments: [nil, deletedProject], [false, true])
    func projectNotFound(_ project: ProjectFacts?, _ admin: Bool) {
        for action in ResourceType.project.actions {
            expect(.project, expected: "not_found") { explain in
                Policy.decide(user: SubjectFacts(isAdmin: admin, isActive: true), action: action, project: project, userId: Self.actor,
                              now: 0, revision: 1, explain: explain)
            }
        }
    }

    static let missingTeams: [TeamFacts?] = [
        nil, TeamFacts(isDeleted: true, membership: MembershipFacts(role: .owner, roleGrantsAction: true, permitsAction: false, isActive: true)),
    ]

    @Test("a missing or deleted team is not_found, whatever the membership", arguments: missingTeams, [false, true])
    func teamNotFound(_ team: TeamFacts?, _ admin: Bool) {
        for action in ResourceType.team.actions {
            expect(.team, expected: "not_found") { explain in
                Policy.decide(user: SubjectFacts(isAdmin: admin, isActive: true), action: action, team: team, now: 0, revision: 1, explain: explain)
            }
        }
    }

    // MARK: Generations without a project

    @Test("a generation in no project is open only to its owner and admins", arguments: ResourceType.generation.actions)
    func generationWithoutProject(_ action: Action) {
        let orphan = GenerationFacts(ownerId: "u-alice", isDeleted: false, project: nil)
        let cases: [(user: String, admin: Bool, expected: String)] = [
            ("u-alice", false, "owner"), (Self.actor, true, "admin"), (Self.actor, false, "no_grant"),
        ]
        for (user, admin, expected) in cases {
            expect(.generation, expected: expected) { explain in
                Policy.decide(user: SubjectFacts(isAdmin: admin, isActive: true), action: action, generation: orphan, userId: user, now: 0, revision: 1,
                              explain: explain)
            }
        }
    }

    // MARK: Details

    @Test("extra permissions do not apply to team actions", arguments: ResourceType.team.actions)
    func teamIgnoresExtraPermissions(_ action: Action) {
        let membership = MembershipFacts(role: .viewer, roleGrantsAction: false, permitsAction: true, isActive: true)
        let team = TeamFacts(isDeleted: false, membership: membership)
        let decision = Policy.decide(user: SubjectFacts(isAdmin: false, isActive: true), action: action, team: team, now: 0, revision: 1, explain: false)
        #expect(decision.reason.code == "no_grant")
    }

    @Test("the role grant wins over an extra permission for the same action")
    func roleBeforePermission() {
        let project = ProjectFacts(ownerId: "u-paula", teamId: "t-1", visibility: .team, isDeleted: false, teamIsDeleted: false,
                                   membership: MembershipFacts(role: .editor, roleGrantsAction: true, permitsAction: true, isActive: true))
        let decision = Policy.decide(user: SubjectFacts(isAdmin: false, isActive: true), action: .read, project: project, userId: Self.actor,
                                     now: 0, revision: 1, explain: false)
        #expect(decision.reason.code == "team_role:editor")
    }

    @Test("a project in no team grants nothing through memberships", arguments: Visibility.allCases)
    func projectWithoutTeam(_ visibility: Visibility) {
        let project = ProjectFacts(ownerId: "u-paula", teamId: nil, visibility: visibility, isDeleted: false, teamIsDeleted: false,
                                   membership: MembershipFacts(role: .owner, roleGrantsAction: true, permitsAction: true, isActive: true))
        let decision = Policy.decide(user: SubjectFacts(isAdmin: false, isActive: true), action: .update, project: project, userId: Self.actor,
                                     now: 0, revision: 1, explain: false)
        #expect(decision.reason.code == "no_grant")
    }

    @Test("decisions carry the revision they were made at", arguments: [Int64(0), 1, 42, .max])
    func revisionPassesThrough(_ revision: Int64) {
        let user = SubjectFacts(isAdmin: true, isActive: true)
        #expect(Policy.decide(user: user, action: .read, generation: nil, userId: Self.actor, now: 0, revision: revision, explain: false).revision
            == revision)
        #expect(Policy.decide(user: user, action: .read, project: Self.liveProject, userId: Self.actor, now: 0, revision: revision, explain: true).revision
            == revision)
        #expect(Policy.decide(user: nil, action: .read, team: nil, now: 0, revision: revision, explain: false).revision == revision)
    }

    @Test("reason codes are the spec's strings")
    func reasonCodes() {
        let expected: [(Reason, String)] = [
            (.userInactive, "user_inactive"), (.notFound, "not_found"), (.admin, "admin"), (.owner, "owner"), (.projectOwner, "project_owner"),
            (.teamRole(.editor), "team_role:editor"), (.teamPermission(.createGeneration), "team_permission:create_generation"),
            (.publicProject, "public_project"), (.noGrant, "no_grant"),
        ]
        for (reason, code) in expected {
            #expect(reason.code == code)
        }
    }
}
