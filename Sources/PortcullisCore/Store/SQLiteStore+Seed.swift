import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite
import GRDB

extension SQLiteStore {
    /// Stores a generated dataset directly: prepared inserts in one transaction, without the per-line parsing and
    /// reference checks of `importRecords` (the generator's records are consistent by construction).
    /// Refuses a database that already has users. Moves the epoch like an import (see `bulkWrite`).
    public func seed(_ dataset: SeedDataset) throws -> Written<ImportCounts> {
        try bulkWrite { db, changes -> ImportCounts in
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
            // A membership the dataset repeats is stored (and recorded) once.
            func insertMember(_ record: TeamMember) throws {
                try member.execute(arguments: [record.teamId, record.userId, record.role.rawValue, record.permissions.first?.rawValue ?? "",
                                               record.isActive, now])
                if db.changesCount == 1 { try changes.created(record) }
            }
            var counts = ImportCounts()
            try dataset.records { record in
                switch record {
                case .user(let index, let isAdmin, let disabled):
                    let record = User(id: "u\(index)", email: "u\(index)@seed.portcullis", displayName: "", isAdmin: isAdmin,
                                      status: disabled ? .disabled : .active, createdAt: now)
                    try user.execute(arguments: [record.id, record.email, record.isAdmin, record.status.rawValue, now])
                    try changes.created(record)
                    counts.users += 1
                case .team(let index, let owner):
                    let record = Team(id: "t\(index)", name: "Team \(index)", ownerId: "u\(owner)", createdAt: now)
                    try team.execute(arguments: [record.id, record.name, record.ownerId, now])
                    try changes.created(record)
                    try insertMember(TeamMember(teamId: record.id, userId: record.ownerId, role: .owner, permissions: [], isActive: true, createdAt: now))
                    counts.teams += 1
                case .member(let teamIndex, let userIndex, let role, let isActive, let permission):
                    try insertMember(TeamMember(teamId: "t\(teamIndex)", userId: "u\(userIndex)", role: role, permissions: permission.map { [$0] } ?? [],
                                                isActive: isActive, createdAt: now))
                    counts.members += 1
                case .project(let index, let owner, let teamIndex, let visibility):
                    let record = Project(id: "p\(index)", name: "Project \(index)", ownerId: "u\(owner)", teamId: teamIndex.map { "t\($0)" },
                                         visibility: visibility, createdAt: now)
                    try project.execute(arguments: [record.id, record.name, record.ownerId, record.teamId, visibility.rawValue, now])
                    try changes.created(record)
                    counts.projects += 1
                case .generation(let index, let owner, let projectIndex, let status, let deleted):
                    let record = Generation(id: "g\(index)", ownerId: "u\(owner)", projectId: projectIndex.map { "p\($0)" }, status: status,
                                            mediaKey: status == .completed ? "media/g\(index).png" : nil, createdAt: now,
                                            deletedAt: deleted ? SeedDataset.Record.deletedAt : nil)
                    try generation.execute(arguments: [record.id, record.ownerId, record.projectId, status.rawValue, record.mediaKey, now, record.deletedAt])
                    try changes.created(record)
                    counts.generations += 1
                }
            }
            return counts
        }
    }
}
