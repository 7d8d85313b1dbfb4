import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite

/// The SQL of every statement a decision runs, in one place so tests can `EXPLAIN QUERY PLAN` each of them.
///
/// Each is a primary-key lookup (plus joins on primary keys); none may scan a table.
public enum AuthorizationQueries {
    /// The data revision of the snapshot: the value every committed write increments.
    public static let revision = "SELECT value FROM revision WHERE id = 1"

    /// ?1 user id → is_admin, is_active.
    public static let subject = "SELECT is_admin, status = 'active' AND deleted_at IS NULL FROM users WHERE id = ?1"

    /// ?1 generation id, ?2 user id, ?3 action.
    public static let generation = """
        SELECT g.owner_id, g.deleted_at IS NOT NULL,
               p.id, p.owner_id, p.team_id, p.visibility, p.deleted_at IS NOT NULL,
               t.deleted_at IS NOT NULL,
               m.role, m.is_active, instr(' ' || m.permissions || ' ', ' ' || ?3 || ' ') > 0,
               rg.action IS NOT NULL, m.starts_at, m.expires_at
        FROM generations g
        LEFT JOIN projects p ON p.id = g.project_id
        LEFT JOIN teams t ON t.id = p.team_id
        LEFT JOIN team_members m ON m.team_id = p.team_id AND m.user_id = ?2
        LEFT JOIN role_grants rg ON rg.role = m.role AND rg.resource_type = 'generation' AND rg.action = ?3
        WHERE g.id = ?1
        """

    /// ?1 project id, ?2 user id, ?3 action.
    public static let project = """
        SELECT p.owner_id, p.team_id, p.visibility, p.deleted_at IS NOT NULL,
               t.deleted_at IS NOT NULL,
               m.role, m.is_active, instr(' ' || m.permissions || ' ', ' ' || ?3 || ' ') > 0,
               rg.action IS NOT NULL, m.starts_at, m.expires_at
        FROM projects p
        LEFT JOIN teams t ON t.id = p.team_id
        LEFT JOIN team_members m ON m.team_id = p.team_id AND m.user_id = ?2
        LEFT JOIN role_grants rg ON rg.role = m.role AND rg.resource_type = 'project' AND rg.action = ?3
        WHERE p.id = ?1
        """

    /// ?1 team id, ?2 user id, ?3 action.
    public static let team = """
        SELECT t.deleted_at IS NOT NULL, m.role, m.is_active, rg.action IS NOT NULL, m.starts_at, m.expires_at
        FROM teams t
        LEFT JOIN team_members m ON m.team_id = t.id AND m.user_id = ?2
        LEFT JOIN role_grants rg ON rg.role = m.role AND rg.resource_type = 'team' AND rg.action = ?3
        WHERE t.id = ?1
        """

    /// Every statement above, named, for plan checks and the query registry.
    public static let all: [(name: String, sql: String)] = [
        ("revision", revision), ("subject", subject), ("generation", generation), ("project", project), ("team", team),
    ]
}
