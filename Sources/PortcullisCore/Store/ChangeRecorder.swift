import PortcullisModel

/// Records the changes of one write, in order: the one seam every write path of every backend goes through.
///
/// A backend makes one per write transaction, after advancing the revision (so each change is stored as it is
/// recorded: a large import holds no list of its changes), and hands each change to `sink` — the SQLite backend's
/// prepared insert, or the memory backend's list.
///
/// A recorder made with `derivesAfter` (the SQLite backend's bulk writes: import, seed) leaves a create's or update's
/// `after` nil without rendering it: that backend derives it when the change is read, from the entity's next change's
/// `before` or, when there is none, from the entity's row (see `SQLiteStore.derivedAfters`).
public struct ChangeRecorder {
    /// The revision of the write.
    public let revision: Int64
    /// When the write happened.
    public let at: String
    /// Who made it.
    public let attribution: WriteAttribution
    /// Whether a create's or update's `after` is left for the reader to derive (nil) rather than rendered.
    public let derivesAfter: Bool
    private let sink: (Change) throws -> Void
    /// The number of changes recorded so far; the next one's `seq`.
    public private(set) var count: Int64 = 0
    /// What was recorded, per entity.
    public private(set) var tally = ChangeTally()

    /// A recorder for the write that produces `revision`.
    /// - Parameter derivesAfter: leave a create's or update's `after` nil, for the backend to derive on read.
    public init(revision: Int64, at: String, attribution: WriteAttribution, derivesAfter: Bool = false,
                sink: @escaping (Change) throws -> Void) {
        self.revision = revision
        self.at = at
        self.attribution = attribution
        self.derivesAfter = derivesAfter
        self.sink = sink
    }

    /// `subject` was created.
    public mutating func created<Subject: ChangeSubject>(_ subject: Subject) throws {
        try record(Subject.changeEntity, subject.changeId, .create, before: nil, after: derives(Subject.self) ? nil : subject.changeJSON)
    }

    /// `before` became `after` (a soft delete is `deleted(_:_:)`).
    public mutating func updated<Subject: ChangeSubject>(_ before: Subject, _ after: Subject, op: ChangeOp = .update) throws {
        try record(Subject.changeEntity, after.changeId, op, before: before.changeJSON,
                   after: op == .update && derives(Subject.self) ? nil : after.changeJSON)
    }

    /// Created when `before` is nil, updated otherwise (an upserted membership).
    public mutating func put<Subject: ChangeSubject>(_ before: Subject?, _ after: Subject) throws {
        if let before { try updated(before, after) } else { try created(after) }
    }

    /// A soft delete: `after` is the entity with its `deleted_at`.
    public mutating func deleted<Subject: ChangeSubject>(_ before: Subject, _ after: Subject) throws {
        try record(Subject.changeEntity, after.changeId, .delete, before: before.changeJSON, after: after.changeJSON)
    }

    /// A removal (a membership, an API key): nothing remains, `after` is null.
    public mutating func removed<Subject: ChangeSubject>(_ before: Subject) throws {
        try record(Subject.changeEntity, before.changeId, .delete, before: before.changeJSON, after: nil)
    }

    /// Whether this recorder leaves `after` to the reader for this kind of entity: never for an API key, whose row
    /// changes without a change (`last_used_at` is bookkeeping), so neither its row nor a later `before` is its `after`.
    private func derives<Subject: ChangeSubject>(_ subject: Subject.Type) -> Bool {
        derivesAfter && Subject.changeEntity != .apiKey
    }

    private mutating func record(_ entity: ChangeEntity, _ id: String, _ op: ChangeOp, before: String?, after: String?) throws {
        try sink(Change(revision: revision, seq: count, at: at, actor: attribution.actor, requestId: attribution.requestId,
                        entity: entity, entityId: id, op: op, before: before, after: after))
        count += 1
        tally.add(entity)
    }
}
