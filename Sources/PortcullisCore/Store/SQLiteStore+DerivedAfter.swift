import PortcullisModel
import PortcullisSQLite
import GRDB

/// A bulk write's (import, seed) creates and updates are stored without `after` (schema/0008_change_revisions.sql):
/// the entity's state after that write is the `before` of its next change, which every later write records, or, when
/// no later write changed it, its row as it is now. Reading it back costs one search of the `entity_id` index and at
/// most one key lookup; an import writes each entity once instead of twice.
///
/// This holds as long as every write that changes what an entity's JSON shows records a change (each write path goes
/// through `ChangeRecorder`), and retention removes revisions oldest first (a change is never kept without the ones
/// after it). API keys are never derived: `last_used_at` moves without a change.
extension SQLiteStore {
    /// The `before` of the entity's first change after a position (numbered parameters: the query-plan test binds them).
    static let nextBeforeSQL = """
        SELECT before FROM changes INDEXED BY changes_by_entity_id \
        WHERE entity_id = ?1 AND (revision, seq) > (?2, ?3) AND entity = ?4 ORDER BY revision, seq LIMIT 1
        """

    /// An entity's row by id, deleted or not: what its JSON shows now.
    static let currentRowSQL: [ChangeEntity: String] = [
        .user: "SELECT \(userColumns) FROM users WHERE id = ?1",
        .team: "SELECT \(teamColumns) FROM teams WHERE id = ?1",
        .member: "SELECT \(memberColumns) FROM team_members WHERE team_id = ?1 AND user_id = ?2",
        .project: "SELECT \(projectColumns) FROM projects WHERE id = ?1",
        .generation: "SELECT \(generationColumns) FROM generations WHERE id = ?1",
    ]

    /// Whether the stored change leaves its `after` to be derived: a create or an update always has one.
    static func isDerived(_ change: Change) -> Bool {
        change.after == nil && (change.op == .create || change.op == .update) && change.entity != .apiKey
    }

    /// Fills in every derived `after` of `items`, from the snapshot `db` reads.
    static func deriveAfters(_ db: Database, _ items: inout [Change]) throws {
        for index in items.indices where isDerived(items[index]) {
            items[index].after = try derivedAfter(db, items[index])
        }
    }

    /// The entity's JSON after `change`: its next change's `before`, or its row when nothing changed it since.
    static func derivedAfter(_ db: Database, _ change: Change) throws -> String? {
        let next = try Row.fetchOne(db.cachedStatement(sql: nextBeforeSQL),
                                    arguments: [change.entityId, change.revision, change.seq, change.entity.rawValue])
        if let next, let before = next[0] as String? { return before }
        guard let sql = currentRowSQL[change.entity] else { return nil }
        var arguments: StatementArguments = [change.entityId]
        if change.entity == .member {
            // `<team_id>/<user_id>`: ids cannot contain `/`.
            let parts = change.entityId.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            arguments = [String(parts[0]), String(parts[1])]
        }
        guard let row = try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments) else { return nil }
        switch change.entity {
        case .user: return user(row).changeJSON
        case .team: return team(row).changeJSON
        case .member: return member(row).changeJSON
        case .project: return project(row).changeJSON
        case .generation: return generation(row).changeJSON
        case .apiKey: return nil
        }
    }
}
