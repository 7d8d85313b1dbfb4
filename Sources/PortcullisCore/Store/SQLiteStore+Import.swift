import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite
import GRDB

extension SQLiteStore {
    /// Runs the whole import in one GRDB write transaction on the calling thread (it blocks); a success advances the
    /// revision once and moves the `epoch`, so every cached answer is recomputed. Rows without `created_at` get the
    /// instant the import started; a reference is looked up once (rows the import wrote, or checked, are remembered).
    @discardableResult
    public func importRecords(from lines: some Sequence<(line: Int, text: Substring?)>, hasher: PasswordHasher) throws
        -> Written<ImportCounts>
    {
        try bulkWrite { db, changes in
            let context = try InsertContext.importing(db)
            return try ImportRecord.run(lines, hasher: hasher, mapError: Self.mapped) { record in
                switch record {
                case .user(let input, let passwordHash): _ = try Self.insertUser(db, input, passwordHash: passwordHash, changes: &changes, context)
                case .team(let input): _ = try Self.insertTeam(db, input, changes: &changes, context)
                case .member(let teamId, let userId, let input):
                    try Self.requireReference(db, .teams, teamId, field: "team_id", known: context.known)
                    try Self.requireReference(db, .users, userId, field: "user_id", known: context.known)
                    try Self.upsertMember(db, teamId: teamId, userId: userId, input, changes: &changes, context)
                case .project(let input): _ = try Self.insertProject(db, input, changes: &changes, context)
                case .generation(let input): _ = try Self.insertGeneration(db, input, changes: &changes, context)
                }
            }
        }
    }
}
