import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite
import Foundation

/// The query optimizer's half in the store: every statement the reader connections run, registered with its class,
/// and its `EXPLAIN QUERY PLAN` judged for index use, with an index recommendation for each table it scans.
extension SQLiteStore: StoreDiagnostics {
    static let userByIdSQL = "SELECT \(userColumns) FROM users WHERE id = ?1 AND deleted_at IS NULL"
    static let generationByIdSQL = "SELECT \(generationColumns) FROM generations WHERE id = ?1 AND deleted_at IS NULL"
    static let apiKeyByHashQuery = StatementKey(apiKeyByHashSQL)
    static let apiKeyByHashSQL = "SELECT id, name, scopes, created_at, last_used_at, source, expires_at FROM api_keys WHERE key_hash = ?"

    /// Every statement of the raw read path: the authorization ones (decisions and listings) and credential lookups
    /// are `critical`; end-user reads `high`; transaction control `low`.
    static let statementCatalog: [(name: String, sql: String, class: QueryClass)] =
        AuthorizationQueries.all.map { ("authz.\($0.name)", $0.sql, QueryClass.critical) }
        + ListingQueries.all.map { ("listing.\($0.name)", $0.sql, QueryClass.critical) }
        + [
            ("auth.token_user", tokenUserSQL, .critical),
            ("auth.api_key", apiKeyByHashSQL, .critical),
            ("directory.memberships", membershipsSQL, .high),
            ("directory.user", userByIdSQL, .high),
            ("directory.generation", generationByIdSQL, .high),
            ("transaction.begin", "BEGIN DEFERRED", .low),
            ("transaction.commit", "COMMIT", .low),
            ("transaction.rollback", "ROLLBACK", .low),
        ]

    static func registerStatements(in registry: QueryRegistry) {
        for statement in statementCatalog { registry.register(statement.name, statement.sql, class: statement.class) }
    }

    /// Every registered statement's figures and the statement cache, without plans (cheap: no SQL runs).
    public func statementFigures() -> StatementFiguresReport {
        StatementFiguresReport(statements: queries.all.map { entry in
            let summary = entry.summary
            return StatementFigures(name: entry.name, queryClass: entry.queryClass, calls: entry.callCount, slowCount: entry.slowCount,
                                    totalNanoseconds: entry.totalNanoseconds, p50Milliseconds: summary.p50Microseconds / 1000,
                                    p99Milliseconds: summary.p99Microseconds / 1000)
        }, statementCache: queries.statementCache)
    }

    /// Every registered statement with its figures and plan, the statement cache, and index recommendations for
    /// statements that scan a table.
    public func statements() -> StatementsReport {
        var reports: [StatementReport] = []
        var recommendations: [IndexRecommendation] = []
        for entry in queries.all {
            let plan = (try? readers.explain(entry.sql)) ?? []
            let analysis = Self.analyze(plan: plan)
            let summary = entry.summary
            reports.append(StatementReport(
                name: entry.name, queryClass: entry.queryClass, sql: entry.sql, calls: entry.callCount,
                p50Milliseconds: summary.p50Microseconds / 1000, p99Milliseconds: summary.p99Microseconds / 1000, slowCount: entry.slowCount,
                slowThresholdMilliseconds: Double(entry.queryClass.slowThresholdNanoseconds) / 1e6, plan: plan, usesIndex: analysis.usesIndex,
                scans: analysis.scans))
            for table in analysis.scans {
                let real = Self.tableName(table, in: entry.sql)
                let columns = Self.filteredColumns(of: table, in: entry.sql)
                recommendations.append(IndexRecommendation(
                    statement: entry.name, table: real, columns: columns,
                    reason: "the plan scans \(real) in full",
                    suggestion: columns.isEmpty
                        ? "add an index on \(real) matching the statement's filter"
                        : "CREATE INDEX \(real)_\(columns.joined(separator: "_")) ON \(real) (\(columns.joined(separator: ", ")))"))
            }
        }
        return StatementsReport(queries: reports, statementCache: queries.statementCache, recommendations: recommendations)
    }

    /// The sizes of the database file and of its `-wal`, in bytes; nil for a file that does not exist.
    public func storageBytes() -> (database: Int?, log: Int?) {
        (Self.fileSize(configuration.path), Self.fileSize(configuration.path + "-wal"))
    }

    static func fileSize(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
    }

    /// `SCAN t` (without an index) is a full read of table or alias `t`; `SEARCH`/`USING ... INDEX`/`PRIMARY KEY`
    /// reach rows through an index. Scans of subquery results and constant rows are not table scans.
    static func analyze(plan: [String]) -> (usesIndex: Bool?, scans: [String]) {
        var scans: [String] = []
        var indexed = false
        var readsTable = false
        for detail in plan {
            let words = detail.split(separator: " ")
            guard words.count >= 2 else { continue }
            let usesIndex = detail.contains("INDEX") || detail.contains("PRIMARY KEY") || detail.contains("USING ROWID")
            if words[0] == "SEARCH" {
                readsTable = true
                indexed = indexed || usesIndex
            } else if words[0] == "SCAN" {
                let target = String(words[1])
                if target == "CONSTANT" || detail.contains("SUBQUERY") || detail.contains("VIRTUAL TABLE") || target.hasPrefix("(") { continue }
                readsTable = true
                if usesIndex { indexed = true } else if !isSubqueryAlias(target, plan: plan) { scans.append(target) }
            }
        }
        return (readsTable ? indexed && scans.isEmpty : nil, scans)
    }

    /// A `SCAN s` of a materialized `FROM (...) s` reads the subquery's result, not a table.
    static func isSubqueryAlias(_ name: String, plan: [String]) -> Bool {
        plan.contains { $0.contains("MATERIALIZE") && $0.hasSuffix(" \(name)") } || name.count <= 1 && plan.contains { $0.contains("CO-ROUTINE") }
    }

    /// The table behind an alias (`FROM generations g` → generations).
    static func tableName(_ alias: String, in sql: String) -> String {
        let pattern = #"\b(?:FROM|JOIN)\s+(\w+)\s+(?:AS\s+)?"# + NSRegularExpression.escapedPattern(for: alias) + #"\b"#
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]),
              let match = regex.firstMatch(in: sql, range: NSRange(sql.startIndex..., in: sql)),
              let range = Range(match.range(at: 1), in: sql)
        else { return alias }
        return String(sql[range])
    }

    /// Columns of `alias` compared for equality in the statement: the leading columns an index would need.
    static func filteredColumns(of alias: String, in sql: String) -> [String] {
        let qualified = #"\b"# + NSRegularExpression.escapedPattern(for: alias) + #"\.(\w+)\s*="#
        guard let regex = try? NSRegularExpression(pattern: qualified) else { return [] }
        var columns: [String] = []
        for match in regex.matches(in: sql, range: NSRange(sql.startIndex..., in: sql)) {
            if let range = Range(match.range(at: 1), in: sql), !columns.contains(String(sql[range])) { columns.append(String(sql[range])) }
        }
        return columns
    }
}

extension SnapshotReaderPool {
    func explain(_ sql: String) throws(PortcullisError) -> [String] {
        try withConnection { connection throws(PortcullisError) in try connection.queryPlan(sql) }
    }
}
