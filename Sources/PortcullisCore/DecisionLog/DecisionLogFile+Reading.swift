import PortcullisModel
import PortcullisSQLite

extension DecisionLogFile {
    /// One page of entries, newest first, and the cursor of the next (nil on the last page).
    func page(_ query: DecisionQuery) throws(PortcullisError) -> (items: [StoredDecision], nextCursor: Int64?) {
        let (sql, arguments) = query.statement()
        let items = try readers.withConnection { connection throws(PortcullisError) -> [StoredDecision] in
            let statement = try connection.statement(sql)
            for (index, argument) in arguments.enumerated() {
                switch argument {
                case .integer(let value): statement.bind(Int32(index + 1), value)
                case .text(let value): statement.bind(Int32(index + 1), value)
                }
            }
            var items: [StoredDecision] = []
            while try statement.step() { items.append(Self.entry(statement)) }
            return items
        }
        return (items, items.count == query.limit ? items.last?.key : nil)
    }

    /// The entry with `id`, if the log holds it.
    func entry(_ id: DecisionID) throws(PortcullisError) -> StoredDecision? {
        try readers.withConnection { connection throws(PortcullisError) -> StoredDecision? in
            let statement = try connection.statement("SELECT \(DecisionQuery.columns) FROM decisions WHERE seq = ?1 AND origin = ?2")
            statement.bind(1, id.key)
            statement.bind(2, Int64(id.origin))
            return try statement.step() ? Self.entry(statement) : nil
        }
    }

    /// Entries from `key` on, oldest first, `limit` at a time (for the export).
    func entries(from key: Int64, limit: Int) throws(PortcullisError) -> [StoredDecision] {
        try readers.withConnection { connection throws(PortcullisError) -> [StoredDecision] in
            let statement = try connection.statement("SELECT \(DecisionQuery.columns) FROM decisions WHERE seq >= ?1 ORDER BY seq LIMIT ?2")
            statement.bind(1, key)
            statement.bind(2, Int64(limit))
            var items: [StoredDecision] = []
            while try statement.step() { items.append(Self.entry(statement)) }
            return items
        }
    }

    /// The `EXPLAIN QUERY PLAN` details of `sql` on this file's schema.
    func queryPlan(_ sql: String) throws(PortcullisError) -> [String] {
        try readers.withConnection { connection throws(PortcullisError) in try connection.queryPlan(sql) }
    }

    private static func entry(_ row: PreparedStatement) -> StoredDecision {
        let id = DecisionID(key: row.int64(0), origin: UInt32(truncatingIfNeeded: row.int64(1)))
        let action = row.text(6) ?? "", resourceType = row.text(7) ?? ""
        return StoredDecision(
            decisionId: id.text, at: Timestamp.format(epochMilliseconds: id.milliseconds), revision: row.int64(2),
            caller: row.text(3).flatMap(DecisionCaller.Kind.init(rawValue:)).map { DecisionCaller(kind: $0, id: row.text(4)) },
            userId: row.text(5), action: action, resourceType: resourceType, resourceId: row.text(8), allowed: row.bool(9),
            reason: row.text(10) ?? "", rules: StoredDecision.rules(row.text(11) ?? "", action: action, resourceType: resourceType),
            clientAddress: row.text(12), asOf: row.isNull(13) ? nil : Timestamp.format(epochMilliseconds: row.int64(13)), key: id.key)
    }
}
