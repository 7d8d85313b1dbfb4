import HTTPTypes
import Hummingbird
import PortcullisCore

/// Users, teams, memberships, projects and generations (SPEC section 4, management), registered in the administrators'
/// group (`RequireAdminMiddleware` guards every route).
/// `GET|PATCH|DELETE /api/v1/generations/{id}` serve end users too and live in `GenerationsController`.
struct ManagementController {
    let directory: any UserStore & TeamStore & ProjectStore & GenerationStore & DirectorySearch & SessionStore & CredentialStore
    let hasher: PasswordHasher
    /// New passwords are hashed on the same bounded pool as sign-ins.
    let hashing: PasswordHashingPool
    /// Records sessions an administrator ends, as sign-outs of the user by that administrator.
    var decisionLog: DecisionLog? = nil

    func addRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        addUserRoutes(to: router, table: table)
        addTeamRoutes(to: router, table: table)
        addProjectRoutes(to: router, table: table)
        addGenerationRoutes(to: router, table: table)
    }

    private func addUserRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let directory = directory, hasher = hasher, hashing = hashing, decisionLog = decisionLog
        router.route(.post, "/api/v1/users", in: table) { request, context in
            var request = request
            var fields = try await request.jsonFields(context: context)
            let input = try NewUser(&fields)
            try fields.finish()
            var hash: String?
            if let password = input.password { hash = try await hashing.run { hasher.hash(password) } }
            let written = try await directory.createUser(input, passwordHash: hash)
            return try .json(written.value, status: .created, revision: written.revision)
        }
        router.route(.get, "/api/v1/users", in: table) { request, context in
            let page = try request.pageRequest()
            guard let raw = request.uri.queryParameters["q"] else { return try .json(ListBody(try await directory.users(page))) }
            return try .json(ListBody(try await directory.users(matching: try Self.searchPrefix(String(raw)), page)))
        }
        router.route(.get, "/api/v1/users/{id}", in: table) { _, context in
            return try .json(try await directory.user(context.id("id")))
        }
        router.route(.patch, "/api/v1/users/{id}", in: table) { request, context in
            let id = try context.id("id")
            var request = request
            var fields = try await request.jsonFields(context: context)
            let patch = try UserPatch(&fields)
            try fields.finish()
            var hash: String?
            if let password = patch.password { hash = try await hashing.run { hasher.hash(password) } }
            let written = try await directory.updateUser(id, patch, passwordHash: hash)
            return try .json(written.value, revision: written.revision)
        }
        router.route(.delete, "/api/v1/users/{id}", in: table) { _, context in
            return .noContent(revision: try await directory.deleteUser(context.id("id")))
        }
        // An administrator ends another user's sessions (a stolen laptop, a leaver): every token of the user is 401 at once.
        router.route(.delete, "/api/v1/users/{id}/sessions", in: table) { _, context in
            let id = try context.id("id")
            _ = try await directory.user(id)
            let revision = try await directory.endSessions(userId: id)
            decisionLog?.record(AccountEvent(action: .signOut, userId: id, allowed: true, reason: "ended_by_administrator",
                                             clientAddress: context.clientAddress),
                                caller: DecisionCaller(try context.requireIdentity()))
            return .noContent(revision: revision)
        }
    }

    /// The `q` of a user search: 1–320 characters without control, zero-width or bidi characters (400 naming `q`).
    static func searchPrefix(_ raw: String) throws -> String {
        guard !raw.isEmpty, raw.count <= Validate.maxEmailLength else {
            throw PortcullisError.invalidField("q", "must be 1–\(Validate.maxEmailLength) characters")
        }
        return try Validate.identifierText(raw, field: "q")
    }

    private func addTeamRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let directory = directory
        router.route(.post, "/api/v1/teams", in: table) { request, context in
            var request = request
            var fields = try await request.jsonFields(context: context)
            let input = try NewTeam(&fields)
            try fields.finish()
            let written = try await directory.createTeam(input)
            return try .json(written.value, status: .created, revision: written.revision)
        }
        router.route(.get, "/api/v1/teams", in: table) { request, context in
            return try .json(ListBody(try await directory.teams(request.pageRequest())))
        }
        router.route(.get, "/api/v1/teams/{id}", in: table) { _, context in
            return try .json(try await directory.team(context.id("id")))
        }
        router.route(.patch, "/api/v1/teams/{id}", in: table) { request, context in
            let id = try context.id("id")
            var request = request
            var fields = try await request.jsonFields(context: context)
            let patch = try TeamPatch(&fields)
            try fields.finish()
            let written = try await directory.updateTeam(id, patch)
            return try .json(written.value, revision: written.revision)
        }
        router.route(.delete, "/api/v1/teams/{id}", in: table) { _, context in
            return .noContent(revision: try await directory.deleteTeam(context.id("id")))
        }
        router.route(.get, "/api/v1/teams/{id}/members", in: table) { _, context in
            return try .json(["items": try await directory.members(teamId: context.id("id"))])
        }
        router.route(.put, "/api/v1/teams/{id}/members/{user_id}", in: table) { request, context in
            let teamId = try context.id("id"), userId = try context.id("user_id")
            var request = request
            var fields = try await request.jsonFields(context: context)
            let input = try MembershipInput(&fields)
            try fields.finish()
            let (member, created) = try await directory.putMember(teamId: teamId, userId: userId, input)
            return try .json(member.value, status: created ? .created : .ok, revision: member.revision)
        }
        // Add (or replace) a membership naming the user by id or by email: the console's "add a member" form.
        router.route(.post, "/api/v1/teams/{id}/members", in: table) { request, context in
            let teamId = try context.id("id")
            var request = request
            var fields = try await request.jsonFields(context: context)
            let userId = try fields.id("user_id")
            let email = try fields.string("email", maxLength: Validate.maxEmailLength)
            let input = try MembershipInput(&fields)
            try fields.finish()
            let resolved: String
            switch (userId, email) {
            case (let id?, nil): resolved = id
            case (nil, let email?):
                let normalized = try Validate.normalizedEmail(email)
                guard let user = try directory.userCredentials(email: normalized)?.user else {
                    throw PortcullisError.unknownReference("email", normalized)
                }
                resolved = user.id
            default: throw PortcullisError.invalidField("user_id", "give exactly one of user_id and email")
            }
            let (member, created) = try await directory.putMember(teamId: teamId, userId: resolved, input)
            return try .json(member.value, status: created ? .created : .ok, revision: member.revision)
        }
        router.route(.delete, "/api/v1/teams/{id}/members/{user_id}", in: table) { _, context in
            return .noContent(revision: try await directory.deleteMember(teamId: context.id("id"), userId: context.id("user_id")))
        }
    }

    private func addProjectRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let directory = directory
        router.route(.post, "/api/v1/projects", in: table) { request, context in
            var request = request
            var fields = try await request.jsonFields(context: context)
            let input = try NewProject(&fields)
            try fields.finish()
            let written = try await directory.createProject(input)
            return try .json(written.value, status: .created, revision: written.revision)
        }
        router.route(.get, "/api/v1/projects", in: table) { request, context in
            let filter = ProjectFilter(ownerId: try request.idQuery("owner_id"), teamId: try request.idQuery("team_id"))
            return try .json(ListBody(try await directory.projects(filter, request.pageRequest())))
        }
        router.route(.get, "/api/v1/projects/{id}", in: table) { _, context in
            return try .json(try await directory.project(context.id("id")))
        }
        router.route(.patch, "/api/v1/projects/{id}", in: table) { request, context in
            let id = try context.id("id")
            var request = request
            var fields = try await request.jsonFields(context: context)
            let patch = try ProjectPatch(&fields)
            try fields.finish()
            let written = try await directory.updateProject(id, patch)
            return try .json(written.value, revision: written.revision)
        }
        router.route(.delete, "/api/v1/projects/{id}", in: table) { _, context in
            return .noContent(revision: try await directory.deleteProject(context.id("id")))
        }
    }

    private func addGenerationRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let directory = directory
        router.route(.post, "/api/v1/generations", in: table) { request, context in
            var request = request
            var fields = try await request.jsonFields(context: context)
            let input = try NewGeneration(&fields)
            try fields.finish()
            let written = try await directory.createGeneration(input)
            return try .json(written.value, status: .created, revision: written.revision)
        }
        router.route(.get, "/api/v1/generations", in: table) { request, context in
            let filter = GenerationFilter(ownerId: try request.idQuery("owner_id"), projectId: try request.idQuery("project_id"),
                                          teamId: try request.idQuery("team_id"))
            return try .json(ListBody(try await directory.generations(filter, request.pageRequest())))
        }
    }
}
