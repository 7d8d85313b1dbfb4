import PortcullisModel

/// What to read from the change log: every change after a position, optionally of one entity kind or id.
public struct ChangeQuery: Sendable, Equatable {
    /// Changes strictly after this position (`since` is `ChangePosition(revision: since)`; a cursor carries a `seq`).
    public var after: ChangePosition
    /// Only changes of this kind of entity.
    public var entity: ChangeEntity?
    /// Only changes of the entity with this id (a membership's is `<team_id>/<user_id>`).
    public var entityId: String?
    /// How many changes a page holds at least, when there are that many: a page goes on to the end of its last
    /// revision when that revision has at most `ChangeQuery.wholeRevisionLimit` changes.
    public var limit: Int

    /// A page as large as this is cut only at the end of a revision; a revision with more changes is paged by cursor.
    public static let wholeRevisionLimit = 10_000
    /// The most a caller may ask for.
    public static let maxLimit = 1000

    /// Changes after `after`; `limit` is clamped to `1...maxLimit`.
    public init(after: ChangePosition, entity: ChangeEntity? = nil, entityId: String? = nil, limit: Int = 100) {
        self.after = after
        self.entity = entity
        self.entityId = entityId
        self.limit = min(max(1, limit), Self.maxLimit)
    }
}

/// One page of the change log, in revision order (then `seq`).
public struct ChangePage: Sendable, Equatable {
    /// The changes.
    public var items: [Change]
    /// The revision of the last item; without items, the query's own revision (feed it back as `since`).
    public var nextSince: Int64
    /// Set when the page ends inside a revision of more than `ChangeQuery.wholeRevisionLimit` changes: where to go on
    /// (`<revision>:<seq>`); `since` would skip the rest of that revision.
    public var nextCursor: ChangePosition?
    /// Revisions of this page that are only partly in it (a large revision paged by cursor): their events carry
    /// `<revision>:<seq>` ids in the stream.
    public var partialRevisions: Set<Int64>

    /// A page as `ChangePaging` builds it.
    public init(items: [Change], nextSince: Int64, nextCursor: ChangePosition?, partialRevisions: Set<Int64> = []) {
        self.items = items
        self.nextSince = nextSince
        self.nextCursor = nextCursor
        self.partialRevisions = partialRevisions
    }

    /// The position after the last item (or the query's, when there is none): where the next read starts.
    public func end(after query: ChangePosition) -> ChangePosition {
        if let nextCursor { return nextCursor }
        guard let last = items.last else { return query }
        return ChangePosition(revision: last.revision)
    }
}

/// The change log (SPEC 8.2): every committed write's changes, written in its transaction, read in revision order.
///
/// A revision is visible only once its write has committed, and writes commit in revision order (one writer at a
/// time, the revision advanced inside the write), so a reader asking for everything after revision N can never miss a
/// change that commits later with a number at or below one it has seen.
///
/// ```swift
/// var position = ChangePosition(revision: 0)
/// repeat {
///     let page = try await store.changes(ChangeQuery(after: position, limit: 500))
///     for change in page.items { print(change.revision, change.entity, change.op) }
///     position = page.end(after: position)
/// } while !page.items.isEmpty
/// ```
public protocol ChangeStore: Sendable {
    /// One page of changes after `query.after`, never splitting a revision of up to `ChangeQuery.wholeRevisionLimit`
    /// changes. `changes_expired` (410) when `query.after.revision` is below `changeHorizon()`.
    func changes(_ query: ChangeQuery) async throws -> ChangePage
    /// The revision of the last committed write: a reader starting here sees the next write's changes first.
    func latestRevision() async throws -> Int64
    /// The lowest `since` that still finds every change after it: retention removed every change at or below it.
    func changeHorizon() async throws -> Int64
    /// Removes every change recorded before `cutoff` (RFC 3339 UTC), oldest first, and moves the horizon to the last
    /// revision removed. Returns how many changes went.
    @discardableResult
    func pruneChanges(recordedBefore cutoff: String) async throws -> Int
}
