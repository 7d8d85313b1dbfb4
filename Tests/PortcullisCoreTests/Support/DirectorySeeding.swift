import PortcullisCore
@testable import PortcullisStore

/// Entities written in one line each, every one returning the revision it produced: the writes the fixtures of the
/// SQLite tests (`TestDirectory`) and of the conformance suite (`StoreFixture`) share.
protocol DirectorySeeding {
    /// The store the entities are written to.
    var seeded: any DirectoryStore { get }
}

extension DirectorySeeding {
    @discardableResult
    func user(_ id: String, admin: Bool = false, status: UserStatus = .active) async throws -> Int64 {
        try await seeded.createUser(NewUser(id: id, email: "\(id)@example.com", displayName: id, isAdmin: admin, status: status), passwordHash: nil)
            .revision
    }

    @discardableResult
    func team(_ id: String, owner: String) async throws -> Int64 {
        try await seeded.createTeam(NewTeam(id: id, name: "Team \(id)", ownerId: owner)).revision
    }

    @discardableResult
    func member(_ userId: String, of teamId: String, as role: TeamRole, permissions: [Action] = [], active: Bool = true,
                startsAt: Int64? = nil, expiresAt: Int64? = nil) async throws -> Int64 {
        try await seeded.putMember(teamId: teamId, userId: userId, MembershipInput(role: role, permissions: permissions, isActive: active,
                                                                                    startsAt: startsAt, expiresAt: expiresAt))
            .member.revision
    }

    @discardableResult
    func project(_ id: String, owner: String, team: String? = nil, visibility: Visibility = .private) async throws -> Int64 {
        try await seeded.createProject(NewProject(id: id, name: "Project \(id)", ownerId: owner, teamId: team, visibility: visibility)).revision
    }

    @discardableResult
    func generation(_ id: String, owner: String, project: String? = nil) async throws -> Int64 {
        try await seeded.createGeneration(NewGeneration(id: id, ownerId: owner, projectId: project, status: .completed)).revision
    }
}
