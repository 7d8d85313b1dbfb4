import Foundation

/// The query optimizer's half in the store: every statement the reader connections run, registered with its class,
/// and its `EXPLAIN QUERY PLAN` judged for index use, with an index recommendation for each table it scans.
extension SQLiteStore {
    static let userByIdSQL = "SELECT \(userColumns) FROM users WHERE id = ?1 AND deleted_at IS NULL"
    static let generationByIdSQL = "SELECT \(generationColumns) FROM generations WHERE id = ?1 AND deleted_at IS NULL"
    static let apiKeyByHashSQL = "SELECT id, name, scopes, created_at, last_used_at, source FROM api_keys WHERE key_hash = ?"

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

    /// One registered statement with its figures and plan.
    public struct QueryReport: Sendable, Codable {
        public var name: String
        public var queryClass: QueryClass
        public var sql: String
        public var calls: Int
        public var p50Milliseconds: Double
        public var p99Milliseconds: Double
        public var slowCount: Int
        public var slowThresholdMilliseconds: Double
        public var plan: [String]
        /// Whether the plan reaches its rows through an index; nil for a statement that reads no table.
        public var usesIndex: Bool?
        /// Tables the plan reads in full.
        public var scans: [String]

        /// Written in full, `uses_index: null` included, so every statement has the same shape.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(queryClass, forKey: .queryClass)
            try container.encode(sql, forKey: .sql)
            try container.encode(calls, forKey: .calls)
            try container.encode(p50Milliseconds, forKey: .p50Milliseconds)
            try container.encode(p99Milliseconds, forKey: .p99Milliseconds)
            try container.encode(slowCount, forKey: .slowCount)
            try container.encode(slowThresholdMilliseconds, forKey: .slowThresholdMilliseconds)
            try container.encode(plan, forKey: .plan)
            try container.encode(usesIndex, forKey: .usesIndex)
            try container.encode(scans, forKey: .scans)
        }

        enum CodingKeys: String, CodingKey {
            case name, queryClass = "class", sql, calls, p50Milliseconds = "p50_ms", p99Milliseconds = "p99_ms", slowCount = "slow_count"
            case slowThresholdMilliseconds = "slow_threshold_ms", plan, usesIndex = "uses_index", scans
        }
    }

    public struct IndexRecommendation: Sendable, Codable, Equatable {
        public var statement: String
        public var table: String
        public var columns: [String]
        public var reason: String
        public var suggestion: String
    }

    /// Every registered statement with its plan, and index recommendations for those that scan a table.
    public func queryReports() -> (queries: [QueryReport], recommendations: [IndexRecommendation]) {
        var reports: [QueryReport] = []
        var recommendations: [IndexRecommendation] = []
        for entry in queries.all {
            let plan = (try? readers.explain(entry.sql)) ?? []
            let analysis = Self.analyze(plan: plan)
            let summary = entry.summary
            reports.append(QueryReport(
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
        return (reports, recommendations)
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
