import Foundation
import PortcullisModel

extension DecisionLog {
    /// One page of logged entries matching `query`, newest first, and the next page's cursor (nil on the last page).
    ///
    /// What is queued is written first, so every answer given before the call is found (an entry the mode did not
    /// select, or that was dropped, is not).
    public func page(_ query: DecisionQuery) throws -> (items: [StoredDecision], nextCursor: String?) {
        guard let storage else { return ([], nil) }
        try flush()
        let (items, next) = try storage.page(query)
        return (items, next.map { String($0) })
    }

    /// The logged entry whose `decision_id` is `text`; nil when the log holds none (or `text` is no decision id).
    public func entry(id text: String) throws -> StoredDecision? {
        guard let storage, let id = DecisionID(text: text) else { return nil }
        try flush()
        return try storage.entry(id)
    }

    /// `EXPLAIN QUERY PLAN` of each statement `query` runs, one detail per row (for the query-plan test).
    func queryPlans(_ query: DecisionQuery) throws -> [(sql: String, plan: [String])] {
        guard let file else { return [] }
        let statements = query.postingsLookup == nil ? [query.statement().sql] : [DecisionQuery.postingsSQL, query.entryStatement().sql]
        return try statements.map { sql in (sql, try file.queryPlan(sql)) }
    }

    /// Writes the decision log at `path` as NDJSON, oldest first, one entry per line (the shape of
    /// `GET /api/v1/audit/decisions/{decision_id}`), from `since` (Unix milliseconds) on, or all of it.
    /// Reads in pages of 1,000 while a server may be writing; a missing file writes nothing.
    ///
    /// ```swift
    /// let count = try DecisionLog.exportNDJSON(path: settings.decisionLogPath, since: nil) { line in print(line, terminator: "") }
    /// ```
    /// - Parameter write: called with each line, newline included.
    /// - Returns: how many entries were written.
    @discardableResult
    public static func exportNDJSON(path: String, since: Int64?, write: (String) throws -> Void) throws -> Int {
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        let file = try DecisionLogFile(path: path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        var key = since.map(DecisionID.firstKey(atOrAfter:)) ?? 0, count = 0
        while true {
            let entries = try file.entries(from: key, limit: 1000)
            for entry in entries { try write(String(decoding: try encoder.encode(entry), as: UTF8.self) + "\n") }
            count += entries.count
            guard entries.count == 1000, let last = entries.last else { return count }
            key = last.key + 1
        }
    }
}
