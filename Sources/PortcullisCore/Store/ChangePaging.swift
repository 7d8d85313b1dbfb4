import PortcullisModel

/// The paging rule of the change log, shared by every backend: a backend supplies two reads from one consistent
/// snapshot, and this decides where a page ends.
///
/// A page holds the first `limit` changes after the query's position, then the rest of its last revision when that
/// revision has at most `ChangeQuery.wholeRevisionLimit` changes (so a client that resumes from `next_since` never
/// loses the tail of a revision). A larger revision is cut after `limit` changes with a cursor `<revision>:<seq>`.
public enum ChangePaging {
    /// Builds one page.
    /// - Parameters:
    ///   - horizon: the backend's retention horizon; a query below it throws `changes_expired`.
    ///   - fetch: up to `limit` changes strictly after `position` matching the query's filters, in order; with
    ///     `onlyRevision`, only changes of that revision.
    public static func page(_ query: ChangeQuery, horizon: Int64,
                            fetch: (_ position: ChangePosition, _ onlyRevision: Int64?, _ limit: Int) throws -> [Change]) throws -> ChangePage {
        guard query.after.revision >= horizon else {
            throw PortcullisError(.changesExpired, "changes up to revision \(horizon) were removed by retention; start from since=\(horizon) or later")
        }
        var items = try fetch(query.after, nil, query.limit)
        var cursor: ChangePosition?
        var partial: Set<Int64> = []
        if query.after.seq != nil, items.first?.revision == query.after.revision {
            // Entered a revision in the middle: it is one paged by cursor.
            partial.insert(query.after.revision)
        }
        if items.count == query.limit, let last = items.last {
            let inPage = items.reversed().prefix { $0.revision == last.revision }.count
            let room = ChangeQuery.wholeRevisionLimit - inPage
            let rest = partial.contains(last.revision) || room < 0
                ? nil : try fetch(last.position, last.revision, room + 1)
            if let rest, rest.count <= room {
                items += rest
            } else {
                cursor = last.position
                partial.insert(last.revision)
            }
        }
        return ChangePage(items: items, nextSince: items.last?.revision ?? query.after.revision, nextCursor: cursor, partialRevisions: partial)
    }
}
