import PortcullisModel
import PortcullisSQLite

extension DecisionLogFile {
    /// One page of entries, newest first, and the cursor of the next (nil on the last page).
    func page(_ query: DecisionQuery) throws(PortcullisError) -> (items: [StoredDecision], nextCursor: Int64?) {
        let items = try readers.withConnection { connection throws(PortcullisError) -> [StoredDecision] in
            if let lookup = query.postingsLookup { return try Self.page(query, through: lookup, connection) }
            let (sql, arguments) = query.statement()
            let statement = try connection.statement(sql)
            Self.bind(arguments, to: statement, from: 1)
            var items: [StoredDecision] = []
            while try statement.step() { items.append(Self.entry(statement)) }
            return items
        }
        return (items, items.count == query.limit ? items.last?.key : nil)
    }

    /// A page led by one filter's postings (`DecisionQuery.postingsLookup`). Rows are read newest first; a key listed
    /// is final once the next row's last key is below it (no row covers more than `DecisionPostings.span`, so no later
    /// row can list a newer one), and is then read and checked against every filter. Stops at `limit` entries.
    private static func page(_ query: DecisionQuery, through lookup: (kind: DecisionLookup, id: String),
                             _ connection: PreparedConnection) throws(PortcullisError) -> [StoredDecision] {
        let (low, high) = query.keyRange
        let postings = try connection.statement(DecisionQuery.postingsSQL)
        postings.bind(1, DecisionPostings.hash(lookup.kind, lookup.id))
        postings.bind(2, low)
        postings.bind(3, high > .max - DecisionPostings.span ? .max : high + DecisionPostings.span)
        let (sql, arguments) = query.entryStatement()
        let entry = try connection.statement(sql)
        var items: [StoredDecision] = [], pending: [Int64] = [], lastRead = Int64.max

        /// Reads the pending keys above `bound` (all with nil), newest first; true once the page is full.
        func read(above bound: Int64?) throws(PortcullisError) -> Bool {
            var ready = pending
            if let bound {
                ready.removeAll { $0 <= bound }
                pending.removeAll { $0 > bound }
            } else {
                pending.removeAll()
            }
            ready.sort(by: >)
            for key in ready where key != lastRead {
                lastRead = key
                entry.reset()
                entry.bind(1, key)
                bind(arguments, to: entry, from: 2)
                if try entry.step() { items.append(Self.entry(entry)) }
                if items.count == query.limit { return true }
            }
            return false
        }

        while try postings.step() {
            if try read(above: postings.int64(0)) { return items }
            pending += postings.withBytes(1) { DecisionPostings.decode($0) }.filter { $0 >= low && $0 < high }
        }
        _ = try read(above: nil)
        return items
    }

    private static func bind(_ arguments: [DecisionQuery.Argument], to statement: PreparedStatement, from first: Int32) {
        for (index, argument) in arguments.enumerated() {
            switch argument {
            case .integer(let value): statement.bind(first + Int32(index), value)
            case .text(let value): statement.bind(first + Int32(index), value)
            }
        }
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
