import Foundation
import Testing

@testable import PortcullisCore
@testable import PortcullisCache
@testable import PortcullisStore

/// Model-based test of the whole decision path: random sequences of writes (every entity kind, memberships with roles,
/// extra permissions, inactive ones and time bounds, visibility changes, team moves, owner changes, deletes), the clock
/// moving across those bounds (to the millisecond before, at and after them), the bounds sweep, cache-layer moves and
/// restarts, and checks through the cached engine — every check compared with `ReferenceModel`, an evaluator of SPEC
/// section 2 and 8.3 written here from the spec's text (it calls neither `Policy` nor the role-grant table).
///
/// A failing sequence is shrunk by delta debugging over its steps and reported as the shortest counterexample found.
/// `PORTCULLIS_MODEL_STEPS` sets the steps per seed (default 2,500).
@Suite("Model-based: random writes and checks against a reference evaluator of SPEC section 2")
struct AuthorizationModelTests {
    static let seeds: [UInt64] = [1, 2, 3, 4, 5, 6]
    static let stepsPerSeed = ProcessInfo.processInfo.environment["PORTCULLIS_MODEL_STEPS"].flatMap(Int.init) ?? 2_500

    @Test("the cached engine agrees with the reference model after every step", arguments: seeds)
    func agreesWithReference(seed: UInt64) async throws {
        let steps = ModelStep.generate(seed: seed, count: Self.stepsPerSeed)
        let run = try await ModelRun.replay(steps)
        guard let mismatch = run.mismatch else {
            print("model seed \(seed): \(steps.count) steps, \(run.writes) writes (\(run.rejected) rejected by the store: \(run.rejections.sorted { $0.key < $1.key })), "
                + "\(run.checks) checks, \(run.allowed) allowed; answered by l1 \(run.layers["l1", default: 0]), "
                + "l2 \(run.layers["l2", default: 0]), l3 \(run.layers["l3", default: 0]), miss \(run.layers["miss", default: 0])")
            #expect(run.checks > steps.count / 2)
            return
        }
        // Nothing after the first disagreement matters; delta debugging takes it from there.
        let prefix = Array(steps.prefix((run.failingStep ?? steps.count - 1) + 1))
        let shrunk = try await ModelShrinker.shrink(prefix) { try await ModelRun.replay($0).mismatch != nil }
        let final = try await ModelRun.replay(shrunk)
        Issue.record("""
            seed \(seed): \(mismatch) (after \(steps.count) steps)
            shortest counterexample (\(shrunk.count) steps):
            \(shrunk.map { "  " + $0.description }.joined(separator: "\n"))
            → \(final.mismatch ?? "(did not reproduce)")
            """)
    }

    /// The harness itself: a reference with a planted mistake (inactive memberships count) must be caught and shrunk.
    @Test("a planted discrepancy is found and shrunk to a handful of steps")
    func shrinksPlantedDiscrepancy() async throws {
        var planted: [ModelStep] = []
        var seed: UInt64 = 100
        var failing: [ModelStep]?
        while failing == nil && seed < 120 {
            planted = ModelStep.generate(seed: seed, count: 600)
            if try await ModelRun.replay(planted, plantedMistake: true).mismatch != nil { failing = planted }
            seed += 1
        }
        let found = try #require(failing, "no sequence exposed the planted mistake")
        let failingStep = try #require(try await ModelRun.replay(found, plantedMistake: true).failingStep)
        let steps = Array(found.prefix(failingStep + 1))
        let shrunk = try await ModelShrinker.shrink(steps) { try await ModelRun.replay($0, plantedMistake: true).mismatch != nil }
        #expect(try await ModelRun.replay(shrunk, plantedMistake: true).mismatch != nil)
        // A user, a team, an inactive membership, a team project, a generation in it, the check: about six steps.
        #expect(shrunk.count <= 8, "shrunk to \(shrunk.count) steps:\n\(shrunk.map(\.description).joined(separator: "\n"))")
    }
}

// MARK: - Steps

/// One step of a sequence: a write, a cache move, or a check. Pure values, so a sequence can be replayed and shrunk.
enum ModelStep: CustomStringConvertible, Sendable {
    case createUser(String, admin: Bool, disabled: Bool)
    case patchUser(String, admin: Bool?, disabled: Bool?)
    case deleteUser(String)
    case createTeam(String, owner: String)
    case changeTeamOwner(String, owner: String)
    case deleteTeam(String)
    case putMember(team: String, user: String, role: TeamRole, permissions: [Action], active: Bool, startsAt: Int64? = nil, expiresAt: Int64? = nil)
    case deleteMember(team: String, user: String)
    case createProject(String, owner: String, team: String?, visibility: Visibility)
    case patchProject(String, owner: String?, team: String??, visibility: Visibility?)
    case deleteProject(String)
    case createGeneration(String, owner: String, project: String?)
    case patchGeneration(String, owner: String?, project: String??)
    case deleteGeneration(String)
    /// Commit queued L2/L3 writes and empty L1, so the next answers come from L2.
    case dropL1
    /// Reopen store and cache over the same files (L2 emptied, L3 kept), as a restart does.
    case restart
    /// Move the clock forward by this many milliseconds.
    case advanceClock(Int64)
    /// Record the bounds that passed (`TimeBoundStore`): a write that moves the members' versions.
    case sweepBounds
    case check(user: String, action: Action, type: ResourceType, id: String, explain: Bool)

    var description: String {
        switch self {
        case .createUser(let id, let admin, let disabled): "create user \(id)\(admin ? " admin" : "")\(disabled ? " disabled" : "")"
        case .patchUser(let id, let admin, let disabled):
            "patch user \(id)" + (admin.map { " is_admin=\($0)" } ?? "") + (disabled.map { " status=\($0 ? "disabled" : "active")" } ?? "")
        case .deleteUser(let id): "delete user \(id)"
        case .createTeam(let id, let owner): "create team \(id) owner \(owner)"
        case .changeTeamOwner(let id, let owner): "patch team \(id) owner_id=\(owner)"
        case .deleteTeam(let id): "delete team \(id)"
        case .putMember(let team, let user, let role, let permissions, let active, let startsAt, let expiresAt):
            "put member \(team)/\(user) role \(role.rawValue) permissions \(permissions.map(\.rawValue)) \(active ? "active" : "inactive")"
                + (startsAt.map { " starts_at=T+\($0 - ModelRun.start)" } ?? "") + (expiresAt.map { " expires_at=T+\($0 - ModelRun.start)" } ?? "")
        case .deleteMember(let team, let user): "delete member \(team)/\(user)"
        case .createProject(let id, let owner, let team, let visibility):
            "create project \(id) owner \(owner) team \(team ?? "-") \(visibility.rawValue)"
        case .patchProject(let id, let owner, let team, let visibility):
            "patch project \(id)" + (owner.map { " owner_id=\($0)" } ?? "")
                + (team.map { " team_id=\($0 ?? "null")" } ?? "") + (visibility.map { " visibility=\($0.rawValue)" } ?? "")
        case .deleteProject(let id): "delete project \(id)"
        case .createGeneration(let id, let owner, let project): "create generation \(id) owner \(owner) project \(project ?? "-")"
        case .patchGeneration(let id, let owner, let project):
            "patch generation \(id)" + (owner.map { " owner_id=\($0)" } ?? "") + (project.map { " project_id=\($0 ?? "null")" } ?? "")
        case .deleteGeneration(let id): "delete generation \(id)"
        case .dropL1: "flush L2/L3, empty L1"
        case .restart: "restart"
        case .advanceClock(let milliseconds): "clock +\(milliseconds) ms"
        case .sweepBounds: "sweep time bounds"
        case .check(let user, let action, let type, let id, let explain):
            "check \(user) \(action.rawValue) \(type.rawValue) \(id)\(explain ? " explain" : "")"
        }
    }

    /// A deterministic sequence: mostly writes that reference existing ids (sometimes deleted or never created ones),
    /// each followed by checks, half of them from a fixed hot set so that cached answers get served and re-validated.
    static func generate(seed: UInt64, count: Int) -> [ModelStep] {
        var random = SplitMix64(seed: seed)
        func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        var users: [String] = [], teams: [String] = [], projects: [String] = [], generations: [String] = []
        var deleted: Set<String> = []
        var next = 0
        func fresh(_ prefix: String) -> String {
            next += 1
            return "\(prefix)\(next)"
        }
        /// An id of that kind: usually a live one, sometimes a deleted one or one that never existed.
        func existing(_ pool: [String], ghost: String) -> String {
            let live = pool.filter { !deleted.contains($0) }
            if pool.isEmpty || chance(3) { return ghost }
            return live.isEmpty || chance(8) ? pick(pool) : pick(live)
        }
        func user() -> String { existing(users, ghost: "u-ghost") }
        func team() -> String { existing(teams, ghost: "t-ghost") }
        func project() -> String { existing(projects, ghost: "p-ghost") }
        func generation() -> String { existing(generations, ghost: "g-ghost") }
        func permissions() -> [Action] { chance(70) ? [] : Action.grantable.sorted { $0.rawValue < $1.rawValue }.filter { _ in chance(35) } }
        func randomCheck() -> ModelStep {
            let type = pick(ResourceType.allCases)
            let id = switch type {
            case .generation: generation()
            case .project: project()
            case .team: team()
            }
            return .check(user: user(), action: pick(type.actions), type: type, id: id, explain: chance(5))
        }

        // The clock as the replay will move it, so bounds land just ahead of it and the clock then crosses them.
        var now = ModelRun.start
        func bounds() -> (Int64?, Int64?) {
            guard chance(45) else { return (nil, nil) }
            let offsets: [Int64] = [-1000, 0, 1, 500, 1000, 2000]
            let startsAt: Int64? = chance(60) ? now + pick(offsets) : nil
            let expiresAt: Int64? = chance(60) ? (startsAt ?? now) + pick([1, 500, 1000, 1999, 3000] as [Int64]) : nil
            return (startsAt, expiresAt)
        }

        var steps: [ModelStep] = [.createUser("u0", admin: false, disabled: false)]
        users.append("u0")
        var hot: [ModelStep] = []
        while steps.count < count {
            let write: ModelStep
            switch random.next() % 100 {
            case 0..<8 where users.count < 14:
                let id = fresh("u")
                users.append(id)
                write = .createUser(id, admin: chance(8), disabled: chance(10))
            case 8..<13: write = .patchUser(user(), admin: chance(50) ? chance(15) : nil, disabled: chance(60) ? chance(30) : nil)
            case 13..<15:
                let id = user()
                deleted.insert(id)
                write = .deleteUser(id)
            case 15..<20 where teams.count < 5:
                let id = fresh("t")
                teams.append(id)
                write = .createTeam(id, owner: user())
            case 20..<23: write = .changeTeamOwner(team(), owner: user())
            case 23..<25:
                let id = team()
                deleted.insert(id)
                write = .deleteTeam(id)
            case 25..<42:
                let (startsAt, expiresAt) = bounds()
                write = .putMember(team: team(), user: user(), role: pick(TeamRole.allCases), permissions: permissions(), active: chance(75),
                                   startsAt: startsAt, expiresAt: expiresAt)
            case 42..<46: write = .deleteMember(team: team(), user: user())
            case 46..<54 where projects.count < 10:
                let id = fresh("p")
                projects.append(id)
                write = .createProject(id, owner: user(), team: chance(75) ? team() : nil, visibility: pick(Visibility.allCases))
            case 54..<68:
                write = .patchProject(project(), owner: chance(20) ? user() : nil, team: chance(40) ? (chance(80) ? .some(team()) : .some(nil)) : nil,
                                      visibility: chance(60) ? pick(Visibility.allCases) : nil)
            case 68..<71:
                let id = project()
                deleted.insert(id)
                write = .deleteProject(id)
            case 71..<81 where generations.count < 20:
                let id = fresh("g")
                generations.append(id)
                write = .createGeneration(id, owner: user(), project: chance(85) ? project() : nil)
            case 81..<89:
                write = .patchGeneration(generation(), owner: chance(25) ? user() : nil, project: chance(80) ? (chance(85) ? .some(project()) : .some(nil)) : nil)
            case 89..<92:
                let id = generation()
                deleted.insert(id)
                write = .deleteGeneration(id)
            case 92..<96: write = .dropL1
            case 96..<98: write = .restart
            default: write = .createUser(fresh("u"), admin: false, disabled: false)
            }
            steps.append(write)
            // Time passes now and then, up to and across the bounds above: a millisecond, a half, one before or at a
            // whole second; sometimes the sweep records what passed.
            if chance(20) {
                let step: Int64 = pick([1, 1, 499, 500, 999, 1000])
                now += step
                steps.append(.advanceClock(step))
            }
            if chance(3) { steps.append(.sweepBounds) }
            if hot.count < 40 && users.count > 1 && generations.count > 1 { hot.append(randomCheck()) }
            for _ in 0..<4 { steps.append(!hot.isEmpty && chance(50) ? pick(hot) : randomCheck()) }
        }
        return Array(steps.prefix(count))
    }
}

// MARK: - The reference model

/// SPEC section 2 over plain dictionaries, written from the spec's text.
struct ReferenceModel {
    struct UserRow { var admin: Bool, active: Bool, deleted = false }
    struct TeamRow { var owner: String, deleted = false }
    struct MemberRow { var role: TeamRole, permissions: Set<Action>, active: Bool, startsAt: Int64? = nil, expiresAt: Int64? = nil }
    struct ProjectRow { var owner: String, team: String?, visibility: Visibility, deleted = false }
    struct GenerationRow { var owner: String, project: String?, deleted = false }

    var users: [String: UserRow] = [:]
    var teams: [String: TeamRow] = [:]
    var members: [String: MemberRow] = [:]
    var projects: [String: ProjectRow] = [:]
    var generations: [String: GenerationRow] = [:]
    /// The harness's self-test: a reference that (wrongly) lets inactive memberships grant.
    var plantedMistake = false
    /// The instant of the check (Unix milliseconds): "outside [starts_at, expires_at) it grants nothing" (SPEC 8.3).
    var now: Int64 = ModelRun.start

    static func memberKey(_ team: String, _ user: String) -> String { team + "\u{1F}" + user }

    /// "Default role grants" from the spec's prose, per resource type.
    static func roleGrants(_ role: TeamRole, _ type: ResourceType) -> Set<Action> {
        switch (type, role) {
        case (.generation, .owner), (.generation, .admin): [.read, .update, .delete, .download]
        case (.generation, .editor): [.read, .update, .download]
        case (.generation, .viewer): [.read, .download]
        case (.project, .owner), (.project, .admin): [.read, .update, .delete, .createGeneration]
        case (.project, .editor): [.read, .createGeneration]
        case (.project, .viewer): [.read]
        case (.team, .owner), (.team, .admin): [.read, .manageMembers]
        case (.team, .editor), (.team, .viewer): [.read]
        }
    }

    /// An active membership of a team that is not deleted ("a deleted team grants nothing through its memberships").
    func activeMembership(_ team: String?, _ user: String) -> MemberRow? {
        guard let team, let row = teams[team], !row.deleted, let member = members[Self.memberKey(team, user)] else { return nil }
        if let startsAt = member.startsAt, now < startsAt { return nil }
        if let expiresAt = member.expiresAt, now >= expiresAt { return nil }
        return member.active || plantedMistake ? member : nil
    }

    /// Rule 6 (and its project twin): the role's grant first, then an extra permission; only for team/public projects.
    func teamGrant(_ project: ProjectRow, _ user: String, _ action: Action, _ type: ResourceType) -> String? {
        guard project.visibility != .private, let member = activeMembership(project.team, user) else { return nil }
        if Self.roleGrants(member.role, type).contains(action) { return "team_role:\(member.role.rawValue)" }
        if member.permissions.contains(action) { return "team_permission:\(action.rawValue)" }
        return nil
    }

    func decide(_ user: String, _ action: Action, _ type: ResourceType, _ id: String) -> (allowed: Bool, reason: String) {
        let deny = { (reason: String) in (false, reason) }
        let allow = { (reason: String) in (true, reason) }
        // 1. U absent, deleted or disabled.
        guard let subject = users[user], !subject.deleted, subject.active else { return deny("user_inactive") }
        switch type {
        case .generation:
            // 2. G absent or deleted, or P deleted.
            guard let generation = generations[id], !generation.deleted else { return deny("not_found") }
            let project = generation.project.flatMap { projects[$0] }
            if project?.deleted == true { return deny("not_found") }
            if subject.admin { return allow("admin") }
            if generation.owner == user { return allow("owner") }
            guard let project else { return deny("no_grant") }
            if project.owner == user { return allow("project_owner") }
            if let grant = teamGrant(project, user, action, .generation) { return allow(grant) }
            if project.visibility == .public && (action == .read || action == .download) { return allow("public_project") }
            return deny("no_grant")
        case .project:
            guard let project = projects[id], !project.deleted else { return deny("not_found") }
            if subject.admin { return allow("admin") }
            if project.owner == user { return allow("project_owner") }
            if let grant = teamGrant(project, user, action, .project) { return allow(grant) }
            if project.visibility == .public && action == .read { return allow("public_project") }
            return deny("no_grant")
        case .team:
            guard let team = teams[id], !team.deleted else { return deny("not_found") }
            if subject.admin { return allow("admin") }
            // Extra permissions apply to generation and project actions only.
            if let member = activeMembership(id, user), Self.roleGrants(member.role, .team).contains(action) {
                return allow("team_role:\(member.role.rawValue)")
            }
            return deny("no_grant")
        }
    }

    /// Applies a write the store accepted (the model never predicts acceptance; it mirrors what was committed).
    mutating func apply(_ step: ModelStep) {
        switch step {
        case .createUser(let id, let admin, let disabled): users[id] = UserRow(admin: admin, active: !disabled)
        case .patchUser(let id, let admin, let disabled):
            if let admin { users[id]?.admin = admin }
            if let disabled { users[id]?.active = !disabled }
        case .deleteUser(let id): users[id]?.deleted = true
        case .createTeam(let id, let owner):
            teams[id] = TeamRow(owner: owner)
            members[Self.memberKey(id, owner)] = MemberRow(role: .owner, permissions: [], active: true)
        case .changeTeamOwner(let id, let owner):
            // The new owner holds the owner role; the previous owner keeps the membership they had.
            if teams[id]?.owner != owner { members[Self.memberKey(id, owner)] = MemberRow(role: .owner, permissions: [], active: true) }
            teams[id]?.owner = owner
        case .deleteTeam(let id): teams[id]?.deleted = true
        case .putMember(let team, let user, let role, let permissions, let active, let startsAt, let expiresAt):
            members[Self.memberKey(team, user)] = MemberRow(role: role, permissions: Set(permissions), active: active, startsAt: startsAt,
                                                            expiresAt: expiresAt)
        case .deleteMember(let team, let user): members[Self.memberKey(team, user)] = nil
        case .createProject(let id, let owner, let team, let visibility):
            projects[id] = ProjectRow(owner: owner, team: team, visibility: visibility)
        case .patchProject(let id, let owner, let team, let visibility):
            if let owner { projects[id]?.owner = owner }
            if let team { projects[id]?.team = team }
            if let visibility { projects[id]?.visibility = visibility }
        case .deleteProject(let id): projects[id]?.deleted = true
        case .createGeneration(let id, let owner, let project): generations[id] = GenerationRow(owner: owner, project: project)
        case .patchGeneration(let id, let owner, let project):
            if let owner { generations[id]?.owner = owner }
            if let project { generations[id]?.project = project }
        case .deleteGeneration(let id): generations[id]?.deleted = true
        case .advanceClock(let milliseconds): now += milliseconds
        case .dropL1, .restart, .check, .sweepBounds: break
        }
    }
}

// MARK: - Running a sequence

/// One replay of a sequence against a fresh store and cache.
struct ModelRun {
    /// Where the replay's clock starts.
    static let start: Int64 = 1_800_000_000_000
    var writes = 0, rejected = 0, checks = 0, allowed = 0
    var rejections: [String: Int] = [:]
    var layers: [String: Int] = [:]
    /// The first disagreement, described; nil when every check agreed.
    var mismatch: String?
    /// The index of the check that disagreed.
    var failingStep: Int?

    static func replay(_ steps: [ModelStep], plantedMistake: Bool = false) async throws -> ModelRun {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let databasePath = folder.appendingPathComponent("portcullis.sqlite").path
        let cachePath = folder.appendingPathComponent("decision-cache.sqlite").path
        // NORMAL: a test replays thousands of writes; durability across power loss is not what it checks.
        let time = ManualClock(milliseconds: start)
        func open() throws -> (SQLiteStore, DecisionCache) {
            let (store, versions) = try TestDirectory.open(databasePath, synchronous: .normal)
            return (store, try DecisionCache(versions: versions, file: .init(path: cachePath, database: try store.databaseIdentity()), clock: time.clock))
        }
        var (store, cache) = try open()
        var engine = AuthorizationEngine(store: store, cache: cache, clock: time.clock)
        var model = ReferenceModel(plantedMistake: plantedMistake)
        var run = ModelRun()
        for (index, step) in steps.enumerated() {
            switch step {
            case .check(let user, let action, let type, let id, let explain):
                run.checks += 1
                let decision = try engine.check(CheckRequest(userId: user, action: action, resourceType: type, resourceId: id, explain: explain))
                run.layers[decision.cacheLayer.rawValue, default: 0] += 1
                if decision.allowed { run.allowed += 1 }
                let expected = model.decide(user, action, type, id)
                if decision.allowed != expected.allowed || decision.reason.code != expected.reason {
                    run.mismatch = "step \(index + 1) (\(step)): engine said \(decision.allowed ? "allow" : "deny") \(decision.reason.code) "
                        + "from \(decision.cacheLayer.rawValue), the reference \(expected.allowed ? "allow" : "deny") \(expected.reason)"
                    run.failingStep = index
                    return run
                }
            case .dropL1:
                try cache.layers?.flush()
                cache.l1.removeAll()
            case .restart:
                try cache.layers?.flush()
                (store, cache) = try open()
                engine = AuthorizationEngine(store: store, cache: cache, clock: time.clock)
            case .advanceClock(let milliseconds):
                time.advance(milliseconds: milliseconds)
                model.apply(step)
            case .sweepBounds:
                try await store.recordPassedBounds(until: time.milliseconds)
            default:
                run.writes += 1
                do {
                    try await write(step, to: store)
                    model.apply(step)
                } catch let error as PortcullisError {
                    run.rejected += 1
                    run.rejections[error.code.rawValue, default: 0] += 1
                }
            }
        }
        return run
    }

    static func write(_ step: ModelStep, to store: SQLiteStore) async throws {
        switch step {
        case .createUser(let id, let admin, let disabled):
            _ = try await store.createUser(NewUser(id: id, email: "\(id)@model.test", displayName: id, isAdmin: admin,
                                                   status: disabled ? .disabled : .active), passwordHash: nil)
        case .patchUser(let id, let admin, let disabled):
            _ = try await store.updateUser(id, UserPatch(isAdmin: admin, status: disabled.map { $0 ? .disabled : .active }), passwordHash: nil)
        case .deleteUser(let id): _ = try await store.deleteUser(id)
        case .createTeam(let id, let owner): _ = try await store.createTeam(NewTeam(id: id, name: "Team \(id)", ownerId: owner))
        case .changeTeamOwner(let id, let owner): _ = try await store.updateTeam(id, TeamPatch(ownerId: owner))
        case .deleteTeam(let id): _ = try await store.deleteTeam(id)
        case .putMember(let team, let user, let role, let permissions, let active, let startsAt, let expiresAt):
            _ = try await store.putMember(teamId: team, userId: user, MembershipInput(role: role, permissions: permissions, isActive: active,
                                                                                      startsAt: startsAt, expiresAt: expiresAt))
        case .deleteMember(let team, let user): _ = try await store.deleteMember(teamId: team, userId: user)
        case .createProject(let id, let owner, let team, let visibility):
            _ = try await store.createProject(NewProject(id: id, name: "Project \(id)", ownerId: owner, teamId: team, visibility: visibility))
        case .patchProject(let id, let owner, let team, let visibility):
            _ = try await store.updateProject(id, ProjectPatch(ownerId: owner, teamId: team, visibility: visibility))
        case .deleteProject(let id): _ = try await store.deleteProject(id)
        case .createGeneration(let id, let owner, let project):
            _ = try await store.createGeneration(NewGeneration(id: id, ownerId: owner, projectId: project, status: .completed))
        case .patchGeneration(let id, let owner, let project):
            _ = try await store.updateGeneration(id, GenerationPatch(ownerId: owner, projectId: project))
        case .deleteGeneration(let id): _ = try await store.deleteGeneration(id)
        case .dropL1, .restart, .check, .advanceClock, .sweepBounds: break
        }
    }
}

// MARK: - Shrinking

/// Delta debugging (Zeller's ddmin) over the steps: removes chunks, then single steps, while the sequence still fails.
enum ModelShrinker {
    static func shrink(_ steps: [ModelStep], maxReplays: Int = 400, fails: ([ModelStep]) async throws -> Bool) async throws -> [ModelStep] {
        var current = steps
        var replays = 0
        var granularity = 2
        while current.count >= 2 && replays < maxReplays {
            let chunk = Int((Double(current.count) / Double(granularity)).rounded(.up))
            var reduced = false
            var start = 0
            while start < current.count && replays < maxReplays {
                var candidate = current
                candidate.removeSubrange(start..<min(start + chunk, current.count))
                replays += 1
                if try await fails(candidate) {
                    current = candidate
                    granularity = max(granularity - 1, 2)
                    reduced = true
                    break
                }
                start += chunk
            }
            if !reduced {
                if granularity >= current.count { break }
                granularity = min(granularity * 2, current.count)
            }
        }
        return current
    }
}
