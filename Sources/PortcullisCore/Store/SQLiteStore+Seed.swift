import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite
import GRDB

extension SQLiteStore {
    /// Stores a generated dataset directly: prepared inserts in one transaction, without the per-line parsing and
    /// reference checks of `importRecords` (the generator's records are consistent by construction).
    /// Refuses a database that already has users. Moves the epoch like an import (see `bulkWrite`).
    public func seed(_ dataset: SeedDataset) throws -> Written<ImportCounts> {
        try bulkWrite { db -> ImportCounts in
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM users") == 0 else {
                throw PortcullisError(.conflict, "the database already has users; seed an empty data directory")
            }
            let now = WallClock.system.timestamp()
            let user = try db.makeStatement(sql: "INSERT INTO users (id, email, display_name, is_admin, status, created_at) VALUES (?, ?, '', ?, ?, ?)")
            let team = try db.makeStatement(sql: "INSERT INTO teams (id, name, owner_id, created_at) VALUES (?, ?, ?, ?)")
            let member = try db.makeStatement(sql: """
                INSERT INTO team_members (team_id, user_id, role, permissions, is_active, created_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (team_id, user_id) DO NOTHING
                """)
            let project = try db.makeStatement(sql: "INSERT INTO projects (id, name, owner_id, team_id, visibility, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            let generation = try db.makeStatement(sql: """
                INSERT INTO generations (id, owner_id, project_id, status, media_key, created_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            var counts = ImportCounts()
            try dataset.records { record in
                switch record {
                case .user(let index, let isAdmin, let disabled):
                    try user.execute(arguments: ["u\(index)", "u\(index)@seed.portcullis", isAdmin, disabled ? "disabled" : "active", now])
                    counts.users += 1
                case .team(let index, let owner):
                    try team.execute(arguments: ["t\(index)", "Team \(index)", "u\(owner)", now])
                    try member.execute(arguments: ["t\(index)", "u\(owner)", TeamRole.owner.rawValue, "", true, now])
                    counts.teams += 1
                case .member(let teamIndex, let userIndex, let role, let isActive, let permission):
                    try member.execute(arguments: ["t\(teamIndex)", "u\(userIndex)", role.rawValue, permission?.rawValue ?? "", isActive, now])
                    counts.members += 1
                case .project(let index, let owner, let teamIndex, let visibility):
                    try project.execute(arguments: ["p\(index)", "Project \(index)", "u\(owner)", teamIndex.map { "t\($0)" }, visibility.rawValue, now])
                    counts.projects += 1
                case .generation(let index, let owner, let projectIndex, let status, let deleted):
                    try generation.execute(arguments: [
                        "g\(index)", "u\(owner)", projectIndex.map { "p\($0)" }, status.rawValue,
                        status == .completed ? "media/g\(index).png" : nil, now, deleted ? SeedDataset.Record.deletedAt : nil,
                    ])
                    counts.generations += 1
                }
            }
            return counts
        }
    }
}
