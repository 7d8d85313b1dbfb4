import PortcullisModel

/// Records the changes of one write, in order: the one seam every write path of every backend goes through.
///
/// A backend makes one per write transaction, after advancing the revision (so each change is stored as it is
/// recorded: a large import holds no list of its changes), and hands each change to `sink` — the SQLite backend's
/// prepared insert, or the memory backend's list.
public struct ChangeRecorder {
    /// The revision of the write.
    public let revision: Int64
    /// When the write happened.
    public let at: String
    /// Who made it.
    public let attribution: WriteAttribution
    private let sink: (Change) throws -> Void
    /// The number of changes recorded so far; the next one's `seq`.
    public private(set) var count: Int64 = 0
    /// What was recorded, per entity.
    public private(set) var tally = ChangeTally()

    /// A recorder for the write that produces `revision`.
    public init(revision: Int64, at: String, attribution: WriteAttribution, sink: @escaping (Change) throws -> Void) {
        self.revision = revision
        self.at = at
        self.attribution = attribution
        self.sink = sink
    }

    /// `subject` was created.
    public mutating func created<Subject: ChangeSubject>(_ subject: Subject) throws {
        try record(Subject.changeEntity, subject.changeId, .create, before: nil, after: subject.changeJSON)
    }

    /// `before` became `after` (a soft delete is `deleted(_:_:)`).
    public mutating func updated<Subject: ChangeSubject>(_ before: Subject, _ after: Subject, op: ChangeOp = .update) throws {
        try record(Subject.changeEntity, after.changeId, op, before: before.changeJSON, after: after.changeJSON)
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

    private mutating func record(_ entity: ChangeEntity, _ id: String, _ op: ChangeOp, before: String?, after: String?) throws {
        try sink(Change(revision: revision, seq: count, at: at, actor: attribution.actor, requestId: attribution.requestId,
                        entity: entity, entityId: id, op: op, before: before, after: after))
        count += 1
        tally.add(entity)
    }
}
