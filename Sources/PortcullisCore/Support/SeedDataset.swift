
/// A deterministic benchmark dataset of configurable size (SPEC section 6 scale by default):
/// users, teams, memberships with mixed roles (some inactive, some with extra permissions),
/// projects of every visibility, and generations (some deleted).
///
/// The same records can be written as NDJSON for `import` (`lines`) or stored directly (`SQLiteStore.seed`).
public struct SeedDataset: Sendable {
    /// Users `u0`…; every 10,000th is an administrator and every 97th disabled.
    public var users = 100_000
    /// Teams `t0`…, each owned by a random user.
    public var teams = 10_000
    /// Memberships per team, the owner included (fewer when a random pick repeats a member).
    public var membershipsPerTeam = 30
    /// Projects `p0`…, of random owners and visibilities; about one in four has no team.
    public var projects = 50_000
    /// Generations `g0`…; about one in ten is in no project and one in fifty deleted.
    public var generations = 1_000_000
    /// The random seed: the same seed and sizes give the same dataset.
    public var seed: UInt64 = 1

    /// The SPEC section 6 scale; lower the sizes for tests.
    ///
    /// ```swift
    /// var dataset = SeedDataset()
    /// dataset.users = 1_000
    /// dataset.generations = 10_000
    /// let counts = try store.seed(dataset).value
    /// ```
    public init() {}

    /// The id of the user at `index` (`u<index>`), for benchmarks that pick users.
    public static func userId(_ index: Int) -> String { "u\(index)" }
    /// The id of the generation at `index` (`g<index>`).
    public static func generationId(_ index: Int) -> String { "g\(index)" }

    /// One record of the dataset; ids are `u<n>`, `t<n>`, `p<n>`, `g<n>`.
    public enum Record: Sendable {
        /// User `u<index>`, with email `u<index>@seed.portcullis` and no password.
        case user(index: Int, isAdmin: Bool, disabled: Bool)
        /// Team `t<index>`, owned by `u<owner>` (who becomes its `owner` member).
        case team(index: Int, owner: Int)
        /// A membership of `u<user>` in `t<team>`, with at most one extra permission.
        case member(team: Int, user: Int, role: TeamRole, isActive: Bool, permission: Action?)
        /// Project `p<index>`, owned by `u<owner>`, shared with `t<team>` if any.
        case project(index: Int, owner: Int, team: Int?, visibility: Visibility)
        /// Generation `g<index>`, owned by `u<owner>`, in `p<project>` if any; completed ones have a media key.
        case generation(index: Int, owner: Int, project: Int?, status: GenerationStatus, deleted: Bool)
    }

    /// Calls `emit` with each record, in dependency order.
    public func records(_ emit: (Record) throws -> Void) rethrows {
        var random = SplitMix64(seed: seed)
        func pick(_ count: Int) -> Int { Int(random.next() % UInt64(count)) }
        for index in 0..<users {
            try emit(.user(index: index, isAdmin: index % 10_000 == 0, disabled: index % 97 == 0))
        }
        let roles: [TeamRole] = [.admin, .editor, .editor, .viewer, .viewer, .viewer]
        let extras: [Action] = [.delete, .update, .download]
        for team in 0..<teams {
            let owner = pick(users)
            try emit(.team(index: team, owner: owner))
            var members: Set<Int> = [owner]
            for _ in 0..<(membershipsPerTeam - 1) {
                let user = pick(users)
                guard members.insert(user).inserted else { continue }
                let inactive = pick(20) == 0
                let extra = pick(10) == 0 ? extras[pick(extras.count)] : nil
                try emit(.member(team: team, user: user, role: roles[pick(roles.count)], isActive: !inactive, permission: extra))
            }
        }
        let visibilities: [Visibility] = [.private, .team, .team, .public]
        for project in 0..<projects {
            let team = pick(4) == 0 ? nil : pick(teams)
            try emit(.project(index: project, owner: pick(users), team: team, visibility: visibilities[pick(visibilities.count)]))
        }
        let statuses: [GenerationStatus] = [.completed, .completed, .completed, .running, .pending, .failed]
        for generation in 0..<generations {
            let project = pick(10) == 0 ? nil : pick(projects)
            let status = statuses[pick(statuses.count)]
            let deleted = pick(50) == 0
            try emit(.generation(index: generation, owner: pick(users), project: project, status: status, deleted: deleted))
        }
    }

    /// The dataset as NDJSON import lines, in dependency order.
    public func lines(_ emit: (String) throws -> Void) rethrows {
        try records { record in try emit(record.ndjson) }
    }
}

extension SeedDataset.Record {
    package static let deletedAt = "2026-01-01T00:00:00Z"

    var ndjson: String {
        switch self {
        case .user(let index, let isAdmin, let disabled):
            return #"{"type":"user","id":"u\#(index)","email":"u\#(index)@seed.portcullis"\#(isAdmin ? #","is_admin":true"# : "")\#(disabled ? #","status":"disabled""# : "")}"#
        case .team(let index, let owner):
            return #"{"type":"team","id":"t\#(index)","name":"Team \#(index)","owner_id":"u\#(owner)"}"#
        case .member(let team, let user, let role, let isActive, let permission):
            let extra = permission.map { #","permissions":["\#($0.rawValue)"]"# } ?? ""
            return #"{"type":"member","team_id":"t\#(team)","user_id":"u\#(user)","role":"\#(role.rawValue)"\#(isActive ? "" : #","is_active":false"#)\#(extra)}"#
        case .project(let index, let owner, let team, let visibility):
            let teamField = team.map { #","team_id":"t\#($0)""# } ?? ""
            return #"{"type":"project","id":"p\#(index)","name":"Project \#(index)","owner_id":"u\#(owner)"\#(teamField),"visibility":"\#(visibility.rawValue)"}"#
        case .generation(let index, let owner, let project, let status, let deleted):
            let projectField = project.map { #","project_id":"p\#($0)""# } ?? ""
            let media = status == .completed ? #","media_key":"media/g\#(index).png""# : ""
            return #"{"type":"generation","id":"g\#(index)","owner_id":"u\#(owner)"\#(projectField),"status":"\#(status.rawValue)"\#(media)\#(deleted ? #","deleted_at":"\#(Self.deletedAt)""# : "")}"#
        }
    }
}
