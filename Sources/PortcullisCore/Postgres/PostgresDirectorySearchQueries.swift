import PortcullisModel
import PortcullisStore

/// The SQL behind `DirectorySearch` on PostgreSQL: the twins of `DirectorySearchQueries`, each reaching rows through
/// an index (`PostgresQueryPlanTests` `EXPLAIN`s them).
public enum PostgresDirectorySearchQueries {
    /// SQLite's ASCII-only `lower()`, as the `teams_name_search` index holds it.
    static let foldedTeamName = "translate(name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"

    // Each range reads whole rows and the UNION merges them: joining the ids back to the table (as SQLite does) let
    // PostgreSQL's planner hash-join a sequential scan of teams (PostgresQueryPlanTests caught it).

    /// Users whose id lies in [$1, $2) or whose email lies in [$3, $4), after id $5, $6 of them.
    public static let usersByPrefix = """
        SELECT \(PostgresStore.userColumns) FROM users WHERE id >= $1 AND id < $2 AND id > $5 AND deleted_at IS NULL
        UNION
        SELECT \(PostgresStore.userColumns) FROM users WHERE email >= $3 AND email < $4 AND id > $5 AND deleted_at IS NULL
        ORDER BY id LIMIT $6
        """

    /// Teams whose id lies in [$1, $2) or whose folded name lies in [$3, $4), after id $5, $6 of them.
    public static let teamsByPrefix = """
        SELECT \(PostgresStore.teamColumns) FROM teams WHERE id >= $1 AND id < $2 AND id > $5 AND deleted_at IS NULL
        UNION
        SELECT \(PostgresStore.teamColumns) FROM teams
        WHERE \(foldedTeamName) >= $3 AND \(foldedTeamName) < $4 AND id > $5 AND deleted_at IS NULL
        ORDER BY id LIMIT $6
        """

    /// Projects by owner ($1), team ($2) or both; after id $3, $4 of them. Nil when the filter is empty. Every
    /// parameter is bound (an unused one as ''), so PostgreSQL can type them all.
    public static func projects(_ filter: ProjectFilter) -> String? {
        var conditions: [String] = []
        if filter.ownerId != nil { conditions.append("owner_id = $1") }
        if filter.teamId != nil { conditions.append("team_id = $2") }
        guard !conditions.isEmpty else { return nil }
        return "SELECT \(PostgresStore.projectColumns) FROM projects WHERE \(conditions.joined(separator: " AND ")) AND deleted_at IS NULL"
            + " AND id > $3 AND $1::text IS NOT NULL AND $2::text IS NOT NULL ORDER BY id LIMIT $4"
    }

    /// Generations by owner ($1), project ($2), team ($3, through its live projects) or several; after id $4, $5 of
    /// them. Nil when the filter is empty.
    public static func generations(_ filter: GenerationFilter) -> String? {
        var conditions: [String] = []
        if filter.ownerId != nil { conditions.append("g.owner_id = $1") }
        if filter.projectId != nil { conditions.append("g.project_id = $2") }
        guard !conditions.isEmpty || filter.teamId != nil else { return nil }
        let columns = "g.id, g.owner_id, g.project_id, g.status, g.media_key, g.created_at, g.deleted_at"
        let from = filter.teamId == nil
            ? "FROM generations g WHERE "
            : "FROM projects p JOIN generations g ON g.project_id = p.id WHERE p.team_id = $3 AND p.deleted_at IS NULL AND "
        let typed = "$1::text IS NOT NULL AND $2::text IS NOT NULL AND $3::text IS NOT NULL"
        return "SELECT \(columns) \(from)" + (conditions + ["g.deleted_at IS NULL", "g.id > $4", typed]).joined(separator: " AND ")
            + " ORDER BY g.id LIMIT $5"
    }

    /// A live user's memberships ($1) in live teams, in team order, through `team_members_user`.
    public static let userMemberships = """
        SELECT m.team_id, m.user_id, m.role, m.permissions, m.is_active, m.created_at, m.starts_at, m.expires_at FROM team_members m
        JOIN teams t ON t.id = m.team_id AND t.deleted_at IS NULL
        WHERE m.user_id = $1 ORDER BY m.team_id
        """

    /// A project's ($1) live generations.
    public static let projectGenerationCount = "SELECT count(*) FROM generations WHERE project_id = $1 AND deleted_at IS NULL"

    /// A project's ($1) live generations that some member of team $2 could read through the team, but does not
    /// already reach as the generation's owner, the project's owner ($4) or an administrator, at instant $3 (Unix ms).
    public static let teamReadableGenerationCount = """
        SELECT count(*) FROM generations g WHERE g.project_id = $1 AND g.deleted_at IS NULL AND EXISTS (
            SELECT 1 FROM team_members m JOIN users u ON u.id = m.user_id
            WHERE m.team_id = $2 AND m.is_active AND (m.starts_at IS NULL OR m.starts_at <= $3) AND (m.expires_at IS NULL OR m.expires_at > $3)
              AND u.deleted_at IS NULL AND u.status = 'active' AND NOT u.is_admin AND m.user_id <> g.owner_id AND m.user_id <> $4
              AND (EXISTS (SELECT 1 FROM role_grants rg WHERE rg.role = m.role AND rg.resource_type = 'generation' AND rg.action = 'read')
                   OR strpos(' ' || m.permissions || ' ', ' read ') > 0))
        """
}
