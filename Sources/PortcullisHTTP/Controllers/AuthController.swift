import HTTPTypes
import Hummingbird
import PortcullisCore

/// `POST /api/v1/auth/login`, `POST /api/v1/auth/logout`, `POST /api/v1/auth/logout-all`, `GET /api/v1/me`.
struct AuthController {
    let signIn: SignIn
    let directory: any CredentialStore & SessionStore
    let cache: DecisionCache?
    /// Times password verification at sign-in as `authentication`.
    var monitor: PerformanceMonitor? = nil
    /// Logs sign-outs (sign-ins are logged by `SignIn`).
    var decisionLog: DecisionLog? = nil
    /// Reads the instant `/me` lists memberships at (an expired one is left out).
    var clock: WallClock = .system

    func addRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let controller = self
        router.route(.post, "/api/v1/auth/login", in: table) { request, context in
            var request = request
            var fields = try await request.jsonFields(context: context)
            let email = try fields.requiredString("email", maxLength: 320)
            let password = try fields.requiredString("password", maxLength: 1024)
            try fields.finish()
            let start = monotonicNanoseconds()
            let result = try await controller.signIn.login(email: email, password: password, clientAddress: context.clientAddress)
            controller.monitor?.record(.authentication, nanoseconds: monotonicNanoseconds() - start)
            var response = try Response.json(LoginBody(token: result.token, expiresAt: Timestamp.format(epochMilliseconds: result.expiresAt * 1000),
                                                       user: result.user))
            response.headers[.cacheControl] = "no-store"
            return response
        }
        router.route(.post, "/api/v1/auth/logout", in: table) { _, context in
            let user = try context.requireSessionUser()
            guard let token = context.bearer else { throw PortcullisError(.unauthorized, "no token") }
            _ = try await controller.directory.deleteToken(hash: UserTokenSecret(token: token).hash)
            controller.logSignOut(user.id, "signed_out", context)
            return Response(status: .noContent)
        }
        router.route(.post, "/api/v1/auth/logout-all", in: table) { _, context in
            let user = try context.requireSessionUser()
            let revision = try await controller.directory.endSessions(userId: user.id)
            controller.logSignOut(user.id, "signed_out_everywhere", context)
            return .noContent(revision: revision)
        }
        router.route(.get, "/api/v1/me", in: table) { _, context in
            let user = try context.requireUser()
            return .json(bytes: try controller.me(user.id).utf8)
        }
    }

    private func logSignOut(_ userId: String, _ reason: String, _ context: AppRequestContext) {
        decisionLog?.record(AccountEvent(action: .signOut, userId: userId, allowed: true, reason: reason, clientAddress: context.clientAddress),
                            caller: DecisionCaller(kind: .user, id: userId))
    }

    /// The `/me` body, cached with the user's and each team's version (memberships move the user's version), until the
    /// first listed membership expires.
    func me(_ userId: String) throws -> String {
        let compute = { () throws -> Computed<String> in
            let now = self.clock.milliseconds()
            guard let profile = try directory.profile(userId: userId, now: now) else { throw PortcullisError.notFound("user", userId) }
            let body = String(decoding: try Response.jsonEncoder.encode(MeBody(user: profile.user, teams: profile.teams)), as: UTF8.self)
            let firstExpiry = profile.teams.compactMap { $0.expiresAt.flatMap(Timestamp.epochMilliseconds) }.min()
            return Computed(body, dependencies: [.user(userId)] + profile.teams.map { .team($0.teamId) }, validUntil: firstExpiry)
        }
        guard let cache else { return try compute().value }
        return try cache.answer(CacheKey(.profile, userId), .text, compute: compute).value
    }

    struct LoginBody: Encodable {
        var token: String
        var tokenType = "Bearer"
        var expiresAt: String
        var user: User

        init(token: String, expiresAt: String, user: User) {
            self.token = token
            self.expiresAt = expiresAt
            self.user = user
        }

        enum CodingKeys: String, CodingKey {
            case token, tokenType = "token_type", expiresAt = "expires_at", user
        }
    }

    struct MeBody: Encodable {
        var user: User
        var teams: [UserMembership]
    }
}
