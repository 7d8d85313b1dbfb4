import PortcullisModel
import PortcullisStore
import PostgresNIO

/// The SQL of every statement a decision runs on PostgreSQL, in one place so tests can `EXPLAIN` each of them: the
/// twins of `AuthorizationQueries`, with PostgreSQL's parameters, booleans and `strpos`.
///
/// Each is a primary-key lookup (plus joins on primary keys); none may scan a table (`PostgresQueryPlanTests`).
public enum PostgresAuthorizationQueries {
    /// The data revision of the snapshot: the value every committed write increments.
    public static let revision = "SELECT value FROM revision WHERE id = 1"

    /// $1 user id → is_admin, is_active.
    public static let subject = "SELECT \(subjectColumns) FROM users u WHERE u.id = $1"

    /// $1 generation id, $2 user id, $3 action.
    public static let generation = "SELECT \(generationColumns) FROM generations g \(generationJoins) WHERE g.id = $1"

    /// $1 project id, $2 user id, $3 action.
    public static let project = "SELECT \(projectColumns) FROM projects p \(projectJoins) WHERE p.id = $1"

    /// $1 team id, $2 user id, $3 action.
    public static let team = "SELECT \(teamColumns) FROM teams t \(teamJoins) WHERE t.id = $1"

    // One decision's facts in one statement. PostgreSQL takes one snapshot per statement (READ COMMITTED), so its
    // columns are consistent without BEGIN … COMMIT: one round trip. $1 resource id, $2 user id, $3 action.

    /// A generation decision's facts (`decisionPrefix`, whether it exists, then `generation`'s columns).
    public static let decideGeneration = """
        SELECT \(decisionPrefix), g.id IS NOT NULL, \(generationColumns)
        FROM revision r LEFT JOIN users u ON u.id = $2 LEFT JOIN generations g ON g.id = $1 \(generationJoins) WHERE r.id = 1
        """

    /// A project decision's facts.
    public static let decideProject = """
        SELECT \(decisionPrefix), p.id IS NOT NULL, \(projectColumns)
        FROM revision r LEFT JOIN users u ON u.id = $2 LEFT JOIN projects p ON p.id = $1 \(projectJoins) WHERE r.id = 1
        """

    /// A team decision's facts.
    public static let decideTeam = """
        SELECT \(decisionPrefix), t.id IS NOT NULL, \(teamColumns)
        FROM revision r LEFT JOIN users u ON u.id = $2 LEFT JOIN teams t ON t.id = $1 \(teamJoins) WHERE r.id = 1
        """

    /// The revision, whether the user exists, and `subject`'s columns.
    static let decisionPrefix = "r.value, u.id IS NOT NULL, \(subjectColumns)"
    /// Columns a decision's statement has before the resource's: the prefix and whether the resource exists.
    static let decisionResourceColumn = 5

    static let subjectColumns = "COALESCE(u.is_admin, FALSE), COALESCE(u.status = 'active' AND u.deleted_at IS NULL, FALSE)"

    /// Whether the membership's extra permissions list the action ($3).
    static let permits = "COALESCE(strpos(' ' || m.permissions || ' ', ' ' || $3 || ' ') > 0, FALSE)"

    static let generationColumns = """
        g.owner_id, g.deleted_at IS NOT NULL,
               p.id, p.owner_id, p.team_id, p.visibility, p.deleted_at IS NOT NULL,
               t.deleted_at IS NOT NULL,
               m.role, COALESCE(m.is_active, FALSE), \(permits),
               rg.action IS NOT NULL, m.starts_at, m.expires_at
        """
    static let generationJoins = """
        LEFT JOIN projects p ON p.id = g.project_id
        LEFT JOIN teams t ON t.id = p.team_id
        LEFT JOIN team_members m ON m.team_id = p.team_id AND m.user_id = $2
        LEFT JOIN role_grants rg ON rg.role = m.role AND rg.resource_type = 'generation' AND rg.action = $3
        """

    static let projectColumns = """
        p.owner_id, p.team_id, p.visibility, p.deleted_at IS NOT NULL,
               t.deleted_at IS NOT NULL,
               m.role, COALESCE(m.is_active, FALSE), \(permits),
               rg.action IS NOT NULL, m.starts_at, m.expires_at
        """
    static let projectJoins = """
        LEFT JOIN teams t ON t.id = p.team_id
        LEFT JOIN team_members m ON m.team_id = p.team_id AND m.user_id = $2
        LEFT JOIN role_grants rg ON rg.role = m.role AND rg.resource_type = 'project' AND rg.action = $3
        """

    static let teamColumns = "t.deleted_at IS NOT NULL, m.role, COALESCE(m.is_active, FALSE), rg.action IS NOT NULL, m.starts_at, m.expires_at"
    static let teamJoins = """
        LEFT JOIN team_members m ON m.team_id = t.id AND m.user_id = $2
        LEFT JOIN role_grants rg ON rg.role = m.role AND rg.resource_type = 'team' AND rg.action = $3
        """

    /// Every statement above, named, with the number of parameters it takes (for plan checks).
    public static let all: [(name: String, sql: String, parameters: Int)] = [
        ("revision", revision, 0), ("subject", subject, 1), ("generation", generation, 3), ("project", project, 3), ("team", team, 3),
        ("decide_generation", decideGeneration, 3), ("decide_project", decideProject, 3), ("decide_team", decideTeam, 3),
    ]
}

/// A decision's one statement as a prepared statement: each connection parses and plans it once, then only binds and
/// runs it. Planning this seven-table join took longer than running it (about 0.5 ms against 0.1 ms on the 1M dataset,
/// docs/scaling.md), and after five executions PostgreSQL keeps one generic plan whose every lookup is still an index
/// scan (`PostgresQueryPlanTests`).
protocol PostgresDecisionStatement: PostgresPreparedStatement where Row == DecisionFacts {
    /// The kind of resource the statement reads; its columns follow `PostgresAuthorizationQueries.decisionPrefix`.
    static var resourceType: ResourceType { get }
    /// The question; binds $1 resource id, $2 user id, $3 action.
    var request: CheckRequest { get }
}

extension PostgresDecisionStatement {
    func makeBindings() -> PostgresBindings {
        var binds = PostgresBindings(capacity: 3)
        binds.append(request.resourceId)
        binds.append(request.userId)
        binds.append(request.action.rawValue)
        return binds
    }

    func decodeRow(_ row: PostgresRow) throws -> DecisionFacts {
        try PostgresStore.decisionFacts(row, resourceType: Self.resourceType)
    }
}

/// `PostgresAuthorizationQueries.decideGeneration`, prepared.
struct DecideGenerationStatement: PostgresDecisionStatement {
    static let name = "portcullis_decide_generation"
    static let sql = PostgresAuthorizationQueries.decideGeneration
    static let resourceType = ResourceType.generation
    let request: CheckRequest
}

/// `PostgresAuthorizationQueries.decideProject`, prepared.
struct DecideProjectStatement: PostgresDecisionStatement {
    static let name = "portcullis_decide_project"
    static let sql = PostgresAuthorizationQueries.decideProject
    static let resourceType = ResourceType.project
    let request: CheckRequest
}

/// `PostgresAuthorizationQueries.decideTeam`, prepared.
struct DecideTeamStatement: PostgresDecisionStatement {
    static let name = "portcullis_decide_team"
    static let sql = PostgresAuthorizationQueries.decideTeam
    static let resourceType = ResourceType.team
    let request: CheckRequest
}

/// `PostgresAuthorizationQueries.revision`, prepared: the consistency gate reads it for every request that finds the
/// node's caches not yet proven current.
struct LatestRevisionStatement: PostgresPreparedStatement {
    static let name = "portcullis_latest_revision"
    static let sql = PostgresAuthorizationQueries.revision
    typealias Row = Int64

    func makeBindings() -> PostgresBindings { PostgresBindings() }

    func decodeRow(_ row: PostgresRow) throws -> Int64 {
        var columns = PostgresColumns(row)
        return try columns.next()
    }
}
