import PortcullisModel

/// The SQL behind `DirectorySearch` on SQLite: each statement reaches rows through an index (`QueryPlanTests` runs
/// `EXPLAIN QUERY PLAN` on every one of them).
enum DirectorySearchQueries {
    /// Users whose id lies in [?1, ?2) or whose email lies in [?3, ?4), after id ?5, ?6 of them: the primary key and the
    /// `users_email_live` index each give one range, merged by the UNION.
    static let usersByPrefix = """
        SELECT u.id, u.email, u.display_name, u.is_admin, u.status, u.created_at, u.deleted_at FROM (
            SELECT id FROM users WHERE id >= ?1 AND id < ?2 AND id > ?5 AND deleted_at IS NULL
            UNION
            SELECT id FROM users WHERE email >= ?3 AND email < ?4 AND id > ?5 AND deleted_at IS NULL
        ) s JOIN users u ON u.id = s.id ORDER BY s.id LIMIT ?6
        """

    /// Projects by owner (?1), team (?2) or both; after id ?3, ?4 of them. Nil when the filter is empty.
    static func projects(_ filter: ProjectFilter) -> String? {
        var conditions: [String] = []
        if filter.ownerId != nil { conditions.append("owner_id = ?1") }
        if filter.teamId != nil { conditions.append("team_id = ?2") }
        guard !conditions.isEmpty else { return nil }
        return "SELECT \(SQLiteStore.projectColumns) FROM projects WHERE \(conditions.joined(separator: " AND ")) AND deleted_at IS NULL"
            + " AND id > ?3 ORDER BY id LIMIT ?4"
    }

    /// Generations by owner (?1), project (?2), team (?3, through its live projects) or several; after id ?4, ?5 of them.
    /// Nil when the filter is empty.
    static func generations(_ filter: GenerationFilter) -> String? {
        var conditions: [String] = []
        if filter.ownerId != nil { conditions.append("g.owner_id = ?1") }
        if filter.projectId != nil { conditions.append("g.project_id = ?2") }
        guard !conditions.isEmpty || filter.teamId != nil else { return nil }
        let columns = "g.id, g.owner_id, g.project_id, g.status, g.media_key, g.created_at, g.deleted_at"
        let from = filter.teamId == nil
            ? "FROM generations g WHERE "
            : "FROM projects p JOIN generations g ON g.project_id = p.id WHERE p.team_id = ?3 AND p.deleted_at IS NULL AND "
        return "SELECT \(columns) \(from)" + (conditions + ["g.deleted_at IS NULL", "g.id > ?4"]).joined(separator: " AND ")
            + " ORDER BY g.id LIMIT ?5"
    }

    /// A live user's memberships (?1) in live teams, in team order, through `team_members_user`.
    static let userMemberships = """
        SELECT m.team_id, m.user_id, m.role, m.permissions, m.is_active, m.created_at, m.starts_at, m.expires_at FROM team_members m
        JOIN teams t ON t.id = m.team_id AND t.deleted_at IS NULL
        WHERE m.user_id = ?1 ORDER BY m.team_id
        """

    /// A project's (?1) live generations.
    static let projectGenerationCount = "SELECT count(*) FROM generations WHERE project_id = ?1 AND deleted_at IS NULL"

    /// A project's (?1) live generations that some member of team ?2 could read through the team, but does not already
    /// reach as the generation's owner, the project's owner (?4) or an administrator, at instant ?3 (Unix ms).
    static let teamReadableGenerationCount = """
        SELECT count(*) FROM generations g WHERE g.project_id = ?1 AND g.deleted_at IS NULL AND EXISTS (
            SELECT 1 FROM team_members m JOIN users u ON u.id = m.user_id
            WHERE m.team_id = ?2 AND m.is_active = 1 AND (m.starts_at IS NULL OR m.starts_at <= ?3) AND (m.expires_at IS NULL OR m.expires_at > ?3)
              AND u.deleted_at IS NULL AND u.status = 'active' AND u.is_admin = 0 AND m.user_id <> g.owner_id AND m.user_id <> ?4
              AND (EXISTS (SELECT 1 FROM role_grants rg WHERE rg.role = m.role AND rg.resource_type = 'generation' AND rg.action = 'read')
                   OR instr(' ' || m.permissions || ' ', ' read ') > 0))
        """

    /// Every filter combination a list may ask for (for the query-plan test).
    static let projectFilters: [ProjectFilter] = [ProjectFilter(ownerId: "o"), ProjectFilter(teamId: "t"), ProjectFilter(ownerId: "o", teamId: "t")]
    static let generationFilters: [GenerationFilter] = [false, true].flatMap { owner in
        [false, true].flatMap { project in
            [false, true].compactMap { team in
                owner || project || team ? GenerationFilter(ownerId: owner ? "o" : nil, projectId: project ? "p" : nil, teamId: team ? "t" : nil) : nil
            }
        }
    }

    /// Every statement above, named (filter combinations by the fields they use).
    static var all: [(name: String, sql: String)] {
        [("usersByPrefix", usersByPrefix), ("userMemberships", userMemberships), ("projectGenerationCount", projectGenerationCount),
         ("teamReadableGenerationCount", teamReadableGenerationCount)]
            + projectFilters.compactMap { filter in
                projects(filter).map { ("projects[owner:\(filter.ownerId != nil) team:\(filter.teamId != nil)]", $0) }
            }
            + generationFilters.compactMap { filter in
                generations(filter).map {
                    ("generations[owner:\(filter.ownerId != nil) project:\(filter.projectId != nil) team:\(filter.teamId != nil)]", $0)
                }
            }
    }
}
