/// A deterministic benchmark dataset of configurable size (SPEC section 6 scale by default):
/// users, teams, memberships with mixed roles (some inactive, some with extra permissions),
/// projects of every visibility, and generations (some deleted), as NDJSON import lines.
public struct SeedDataset: Sendable {
    public var users = 100_000
    public var teams = 10_000
    public var membershipsPerTeam = 30
    public var projects = 50_000
    public var generations = 1_000_000
    public var seed: UInt64 = 1

    public init() {}

    public static func userId(_ index: Int) -> String { "u\(index)" }
    public static func generationId(_ index: Int) -> String { "g\(index)" }

    /// Calls `emit` with each line, in dependency order.
    public func write(_ emit: (String) throws -> Void) rethrows {
        var random = SplitMix64(seed: seed)
        func pick(_ count: Int) -> Int { Int(random.next() % UInt64(count)) }
        for index in 0..<users {
            let admin = index % 10_000 == 0 ? #","is_admin":true"# : ""
            let status = index % 97 == 0 ? #","status":"disabled""# : ""
            try emit(#"{"type":"user","id":"u\#(index)","email":"u\#(index)@seed.portcullis"\#(admin)\#(status)}"#)
        }
        let roles = ["admin", "editor", "editor", "viewer", "viewer", "viewer"]
        let extras = ["delete", "update", "download"]
        for team in 0..<teams {
            let owner = pick(users)
            try emit(#"{"type":"team","id":"t\#(team)","name":"Team \#(team)","owner_id":"u\#(owner)"}"#)
            var members: Set<Int> = [owner]
            for _ in 0..<(membershipsPerTeam - 1) {
                let user = pick(users)
                guard members.insert(user).inserted else { continue }
                let inactive = pick(20) == 0 ? #","is_active":false"# : ""
                let extra = pick(10) == 0 ? #","permissions":["\#(extras[pick(extras.count)])"]"# : ""
                try emit(#"{"type":"member","team_id":"t\#(team)","user_id":"u\#(user)","role":"\#(roles[pick(roles.count)])"\#(inactive)\#(extra)}"#)
            }
        }
        let visibilities = ["private", "team", "team", "public"]
        for project in 0..<projects {
            let team = pick(4) == 0 ? "" : #","team_id":"t\#(pick(teams))""#
            try emit(#"{"type":"project","id":"p\#(project)","name":"Project \#(project)","owner_id":"u\#(pick(users))"\#(team),"visibility":"\#(visibilities[pick(visibilities.count)])"}"#)
        }
        let statuses = ["completed", "completed", "completed", "running", "pending", "failed"]
        for generation in 0..<generations {
            let project = pick(10) == 0 ? "" : #","project_id":"p\#(pick(projects))""#
            let status = statuses[pick(statuses.count)]
            let media = status == "completed" ? #","media_key":"media/g\#(generation).png""# : ""
            let deleted = pick(50) == 0 ? #","deleted_at":"2026-01-01T00:00:00Z""# : ""
            try emit(#"{"type":"generation","id":"g\#(generation)","owner_id":"u\#(pick(users))"\#(project),"status":"\#(status)"\#(media)\#(deleted)}"#)
        }
    }
}
