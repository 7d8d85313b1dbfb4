import PortcullisModel

/// The change log's record of time passing (SPEC 8.3): when a membership's `starts_at` or `expires_at` passes, an
/// `activate` or `expire` change with a new revision. Decisions never wait for it — they evaluate the bounds at the
/// instant of the check — but the record moves the member's version like any write, so everything downstream of the
/// change log (the stream, caches of other consumers) sees the bound pass.
public protocol TimeBoundStore: Sendable {
    /// Records every bound that passed after the previous call and at or before `now` (Unix milliseconds), in bound
    /// order, in one write; returns its revision, or nil when no bound passed (then nothing is written and the revision
    /// stays). The first call of a new database starts from the moment it was created (or migrated).
    ///
    /// ```swift
    /// if let revision = try await store.recordPassedBounds(until: clock.milliseconds()) { print("recorded at", revision) }
    /// ```
    @discardableResult
    func recordPassedBounds(until now: Int64) async throws -> Int64?
}

/// A bound that passed: the membership, what happened, and when.
public struct PassedBound {
    /// The membership whose bound passed.
    public var member: TeamMember
    /// `activate` (its start) or `expire` (its end).
    public var op: ChangeOp
    /// When, in Unix milliseconds.
    public var at: Int64

    /// A passed bound as a backend reads it.
    public init(member: TeamMember, op: ChangeOp, at: Int64) {
        self.member = member
        self.op = op
        self.at = at
    }

    /// In bound order; the same instant in membership order, a start before an end.
    /// The order every backend records passed bounds in: by instant, team, user, activations first.
    public static func ordered(_ bounds: [PassedBound]) -> [PassedBound] {
        bounds.sorted {
            ($0.at, $0.member.teamId, $0.member.userId, $0.op == .activate ? 0 : 1) < ($1.at, $1.member.teamId, $1.member.userId, $1.op == .activate ? 0 : 1)
        }
    }
}
