import Foundation
import GRDB
import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

/// SPEC section 1: no authorization query scans a table. Checked with `EXPLAIN QUERY PLAN` on the migrated schema.
@Suite("Query plans")
struct QueryPlanTests {
    static let tables = ["users", "teams", "team_members", "projects", "generations", "role_grants", "api_keys", "changes", "change_revisions"]

    struct Statement: Sendable, CustomTestStringConvertible {
        var name: String
        var sql: String
        var testDescription: String { name }
    }

    static let authorization = AuthorizationQueries.all.map { Statement(name: $0.name, sql: $0.sql) }

    static let listings = [
        Statement(name: "allGenerations", sql: ListingQueries.allGenerations),
        Statement(name: "ownedGenerations", sql: ListingQueries.ownedGenerations),
        Statement(name: "projectGenerations", sql: ListingQueries.projectGenerations),
        Statement(name: "accessibleProjects", sql: ListingQueries.accessibleProjects),
        Statement(name: "allProjects", sql: ListingQueries.allProjects),
        Statement(name: "allTeams", sql: ListingQueries.allTeams),
        Statement(name: "memberTeams", sql: ListingQueries.memberTeams),
        Statement(name: "activeUsers", sql: ListingQueries.activeUsers),
        Statement(name: "grantedUsers", sql: ListingQueries.grantedUsers),
    ]

    /// The console's finding aids: user search, filtered lists, a user's memberships, the visibility preview.
    static let directorySearch = DirectorySearchQueries.all.map { Statement(name: $0.name, sql: $0.sql) }

    /// The change log's reads (SPEC 8.2), with every combination of filters.
    static let changeReads: [Statement] = [false, true].flatMap { entity in
        [false, true].flatMap { entityId in
            [false, true].map { onlyRevision in
                Statement(name: "changes entity:\(entity) entity_id:\(entityId) revision:\(onlyRevision)",
                          sql: SQLiteStore.changesSQL(entity: entity, entityId: entityId, onlyRevision: onlyRevision))
            }
        }
    }

    /// The reads that derive a bulk write's `after`: the entity's next change, and its row by id.
    static let derivedAfterReads: [Statement] = [Statement(name: "next change's before", sql: SQLiteStore.nextBeforeSQL)]
        + SQLiteStore.currentRowSQL.sorted { $0.key.rawValue < $1.key.rawValue }.map { Statement(name: "\($0.key.rawValue) row", sql: $0.value) }

    /// The `detail` column of every row of the statement's plan, with a dummy value bound to each `?N`.
    static func plan(_ sql: String) throws -> [String] {
        let directory = try TestDirectory()
        let count = parameterCount(sql)
        #expect(count > 0 || !sql.contains("?"), "numbered parameters are found")
        let arguments = StatementArguments((0..<count).map { index in "v\(index + 1)" as (any DatabaseValueConvertible)? })
        return try directory.store.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { row in row["detail"] as String }
        }
    }

    /// The highest `?N` in the statement.
    static func parameterCount(_ sql: String) -> Int {
        let regex = try! NSRegularExpression(pattern: #"\?(\d+)"#)
        let range = NSRange(sql.startIndex..., in: sql)
        return regex.matches(in: sql, range: range).compactMap { match in Range(match.range(at: 1), in: sql).flatMap { Int(sql[$0]) } }.max() ?? 0
    }

    /// Names a plan may use for a real table in this statement: the table names and their aliases (`FROM generations g`).
    static func tableNames(in sql: String) -> Set<String> {
        let keywords: Set<String> = ["WHERE", "JOIN", "LEFT", "INNER", "ON", "ORDER", "GROUP", "UNION", "LIMIT", "AS", "USING"]
        let regex = try! NSRegularExpression(pattern: #"\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?"#, options: [.caseInsensitive])
        var names = Set(tables)
        for match in regex.matches(in: sql, range: NSRange(sql.startIndex..., in: sql)) {
            guard let tableRange = Range(match.range(at: 1), in: sql), tables.contains(String(sql[tableRange])),
                  let aliasRange = Range(match.range(at: 2), in: sql)
            else { continue }
            let alias = String(sql[aliasRange])
            if !keywords.contains(alias.uppercased()) { names.insert(alias) }
        }
        return names
    }

    /// Plan rows that scan a real table (`SCAN g`, `SCAN projects USING INDEX …`); scans of subquery results are fine.
    static func tableScans(_ sql: String, plan: [String]) -> [String] {
        let names = tableNames(in: sql)
        return plan.filter { detail in
            guard detail.hasPrefix("SCAN ") else { return false }
            let scanned = detail.dropFirst(5).prefix { !$0.isWhitespace }
            return names.contains(String(scanned))
        }
    }

    @Test("alias detection finds the tables behind a plan's names")
    func aliases() {
        let names = Self.tableNames(in: ListingQueries.grantedUsers)
        #expect(names.isSuperset(of: ["users", "u", "m", "rg"]))
        #expect(!names.contains("s") && !names.contains("WHERE"))
        #expect(Self.tableScans("SELECT 1 FROM generations g", plan: ["SCAN g", "SCAN s", "SCAN CONSTANT ROW"]) == ["SCAN g"])
    }

    @Test("an authorization statement only searches", arguments: authorization)
    func authorizationStatement(_ statement: Statement) throws {
        let plan = try Self.plan(statement.sql)
        #expect(!plan.isEmpty)
        #expect(plan.allSatisfy { !$0.hasPrefix("SCAN ") }, "plan: \(plan)")
        #expect(Self.tableScans(statement.sql, plan: plan).isEmpty, "plan: \(plan)")
    }

    @Test("a listing statement scans no table", arguments: listings)
    func listingStatement(_ statement: Statement) throws {
        let plan = try Self.plan(statement.sql)
        #expect(!plan.isEmpty)
        #expect(Self.tableScans(statement.sql, plan: plan).isEmpty, "plan: \(plan)")
    }

    @Test("a console search or filtered list reaches rows through an index, never scans", arguments: directorySearch)
    func directorySearchStatement(_ statement: Statement) throws {
        let plan = try Self.plan(statement.sql)
        #expect(!plan.isEmpty)
        #expect(Self.tableScans(statement.sql, plan: plan).isEmpty, "plan: \(plan)")
        #expect(plan.contains { $0.hasPrefix("SEARCH ") }, "plan: \(plan)")
    }

    @Test("a change-log read searches its key or the entity_id index, never scans", arguments: changeReads)
    func changeRead(_ statement: Statement) throws {
        let plan = try Self.plan(statement.sql)
        #expect(!plan.isEmpty)
        #expect(plan.allSatisfy { !$0.hasPrefix("SCAN ") }, "plan: \(plan)")
        #expect(plan.contains { $0.hasPrefix("SEARCH changes") }, "plan: \(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "sorted by the index, not afterwards: \(plan)")
        // Each change finds its revision's `at`, actor and request id by key; the log stays the outer loop.
        #expect(plan.contains { $0.hasPrefix("SEARCH r USING INTEGER PRIMARY KEY") }, "plan: \(plan)")
        #expect(plan.first?.hasPrefix("SEARCH changes") == true, "plan: \(plan)")
        if statement.sql.contains("entity_id = ") {
            #expect(plan.first?.contains("changes_by_entity_id") == true, "an id filter reads the entity_id index: \(plan)")
        }
    }

    @Test("deriving an after searches the entity_id index or a primary key, never scans or sorts", arguments: derivedAfterReads)
    func derivedAfterRead(_ statement: Statement) throws {
        let plan = try Self.plan(statement.sql)
        #expect(plan.count == 1, "one search: \(plan)")
        #expect(plan.allSatisfy { $0.hasPrefix("SEARCH ") && !$0.contains("TEMP B-TREE") }, "plan: \(plan)")
        if statement.sql.contains("FROM changes") {
            #expect(plan.first?.contains("INDEX changes_by_entity_id (entity_id=? AND (revision,seq)>(?,?))") == true, "plan: \(plan)")
        } else {
            #expect(plan.first?.contains("PRIMARY KEY") == true, "plan: \(plan)")
        }
    }

    @Test("the time-bound sweep finds passed bounds through their partial indexes; /me's memberships search the key")
    func timeBoundStatements() throws {
        let sweep = try Self.plan(SQLiteStore.passedBoundsSQL)
        #expect(sweep.allSatisfy { !$0.hasPrefix("SCAN ") }, "plan: \(sweep)")
        #expect(sweep.contains { $0.contains("USING INDEX team_members_starts_at") }, "plan: \(sweep)")
        #expect(sweep.contains { $0.contains("USING INDEX team_members_expires_at") }, "plan: \(sweep)")
        let me = try Self.plan(SQLiteStore.membershipsSQL)
        #expect(me.allSatisfy { !$0.hasPrefix("SCAN ") }, "plan: \(me)")
    }

    @Test("a full table scan is detected, so the checks above can fail")
    func detectsScans() throws {
        let sql = "SELECT id FROM generations g WHERE g.status = ?1"
        #expect(Self.tableScans(sql, plan: try Self.plan(sql)) == ["SCAN g"])
    }
}
