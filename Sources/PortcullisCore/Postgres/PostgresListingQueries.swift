/// The SQL behind `resources` and `subjects` on PostgreSQL: the twins of `ListingQueries` (SPEC section 2 read
/// backwards, in id order for cursor paging), with numbered parameters, booleans and explicit types where a
/// parameter's type cannot be inferred.
public enum PostgresListingQueries {
    /// A membership `m` grants only inside its time bounds (SPEC 8.3); `$n` is the listing's instant, Unix milliseconds.
    static func membershipInEffect(_ n: Int) -> String {
        "(m.starts_at IS NULL OR m.starts_at <= $\(n)::bigint) AND (m.expires_at IS NULL OR m.expires_at > $\(n)::bigint)"
    }

    /// Every live generation whose project is live or absent (administrators). $1 after id, $2 limit.
    public static let allGenerations = """
        SELECT g.id FROM generations g LEFT JOIN projects p ON p.id = g.project_id
        WHERE g.deleted_at IS NULL AND g.id > $1 AND (g.project_id IS NULL OR p.deleted_at IS NULL)
        ORDER BY g.id LIMIT $2
        """

    /// A user's own live generations (rule 4). $1 user, $2 after id, $3 limit.
    public static let ownedGenerations = """
        SELECT g.id FROM generations g LEFT JOIN projects p ON p.id = g.project_id
        WHERE g.owner_id = $1 AND g.deleted_at IS NULL AND g.id > $2 AND (g.project_id IS NULL OR p.deleted_at IS NULL)
        ORDER BY g.id LIMIT $3
        """

    /// Other users' live generations in one project. $1 project, $2 user, $3 after id, $4 limit.
    public static let projectGenerations = """
        SELECT g.id FROM generations g
        WHERE g.project_id = $1 AND g.deleted_at IS NULL AND g.owner_id <> $2 AND g.id > $3
        ORDER BY g.id LIMIT $4
        """

    /// Projects through which a user may act (rules 5–7). $1 user, $2 action, $3 public opens it, $4 resource type
    /// whose role grants count, $5 after id, $6 limit, $7 a project to include too if it qualifies (NULL for none),
    /// $8 the instant.
    public static let accessibleProjects = """
        SELECT id FROM (
            SELECT p.id FROM projects p WHERE p.owner_id = $1 AND p.deleted_at IS NULL
            UNION
            SELECT p.id FROM team_members m
            JOIN teams t ON t.id = m.team_id AND t.deleted_at IS NULL
            JOIN projects p ON p.team_id = m.team_id AND p.deleted_at IS NULL AND p.visibility IN ('team', 'public')
            WHERE m.user_id = $1 AND m.is_active AND \(membershipInEffect(8))
              AND (EXISTS (SELECT 1 FROM role_grants rg WHERE rg.role = m.role AND rg.resource_type = $4 AND rg.action = $2)
                   OR strpos(' ' || m.permissions || ' ', ' ' || $2 || ' ') > 0)
            UNION
            SELECT p.id FROM projects p WHERE $3::boolean AND p.visibility = 'public' AND p.deleted_at IS NULL
        ) accessible WHERE id > $5 OR id = $7::text ORDER BY id LIMIT $6
        """

    /// Every live project (administrators). $1 after id, $2 limit.
    public static let allProjects = "SELECT id FROM projects WHERE deleted_at IS NULL AND id > $1 ORDER BY id LIMIT $2"

    /// Every live team (administrators). $1 after id, $2 limit.
    public static let allTeams = "SELECT id FROM teams WHERE deleted_at IS NULL AND id > $1 ORDER BY id LIMIT $2"

    /// Teams whose role grants a user the action. $1 user, $2 action, $3 after id, $4 limit, $5 the instant.
    public static let memberTeams = """
        SELECT m.team_id FROM team_members m
        JOIN teams t ON t.id = m.team_id AND t.deleted_at IS NULL
        JOIN role_grants rg ON rg.role = m.role AND rg.resource_type = 'team' AND rg.action = $2
        WHERE m.user_id = $1 AND m.is_active AND \(membershipInEffect(5)) AND m.team_id > $3
        ORDER BY m.team_id LIMIT $4
        """

    /// Every active user (a public resource's readers). $1 after id, $2 limit.
    public static let activeUsers = "SELECT id FROM users WHERE deleted_at IS NULL AND status = 'active' AND id > $1 ORDER BY id LIMIT $2"

    /// Active users who may act on one resource: administrators, the owners, and members whose role or permissions
    /// grant it. $1 resource owner, $2 project owner, $3 team (NULL when its memberships grant nothing), $4 resource
    /// type of the role grants, $5 action, $6 whether extra permissions count, $7 after id, $8 limit, $9 the instant.
    public static let grantedUsers = """
        SELECT s.id FROM (
            SELECT id FROM users WHERE is_admin AND deleted_at IS NULL
            UNION SELECT $1::text COLLATE "C" UNION SELECT $2::text COLLATE "C"
            UNION
            SELECT m.user_id FROM team_members m
            WHERE m.team_id = $3::text AND m.is_active AND \(membershipInEffect(9))
              AND (EXISTS (SELECT 1 FROM role_grants rg WHERE rg.role = m.role AND rg.resource_type = $4 AND rg.action = $5)
                   OR ($6::boolean AND strpos(' ' || m.permissions || ' ', ' ' || $5 || ' ') > 0))
        ) s JOIN users u ON u.id = s.id
        WHERE u.deleted_at IS NULL AND u.status = 'active' AND s.id > $7
        ORDER BY s.id LIMIT $8
        """

    /// Every statement above, named, with the number of parameters it takes (for plan checks).
    public static let all: [(name: String, sql: String, parameters: Int)] = [
        ("allGenerations", allGenerations, 2), ("ownedGenerations", ownedGenerations, 3), ("projectGenerations", projectGenerations, 4),
        ("accessibleProjects", accessibleProjects, 8), ("allProjects", allProjects, 2), ("allTeams", allTeams, 2),
        ("memberTeams", memberTeams, 5), ("activeUsers", activeUsers, 2), ("grantedUsers", grantedUsers, 9),
    ]
}
