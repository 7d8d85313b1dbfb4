import PortcullisModel

extension MemoryStore {
    /// `TimeBoundStore.recordPassedBounds(until:)`: a write when some bound passed since the watermark, otherwise the
    /// watermark moves under the writer lock, after checking again that nothing passed.
    @discardableResult
    public func recordPassedBounds(until now: Int64) throws -> Int64? {
        struct NothingPassed: Error {}
        do {
            return try write { state, changed, changes in
                let passed = state.passedBounds(until: now)
                guard !passed.isEmpty else { throw NothingPassed() }
                for bound in passed {
                    try changes.updated(bound.member, bound.member, op: bound.op)
                    changed.append(.user(bound.member.userId))
                }
                state.boundsSweptUntil = max(state.boundsSweptUntil, now)
            }.revision
        } catch is NothingPassed {
            touch { state in
                if state.passedBounds(until: now).isEmpty { state.boundsSweptUntil = max(state.boundsSweptUntil, now) }
            }
            return nil
        }
    }
}

extension MemoryState {
    /// The bounds in `(boundsSweptUntil, now]`, in bound order.
    func passedBounds(until now: Int64) -> [PassedBound] {
        var passed: [PassedBound] = []
        for member in members.values.flatMap(\.values) {
            for (bound, op) in [(member.startsAt, ChangeOp.activate), (member.expiresAt, .expire)] {
                if let at = bound.flatMap(Timestamp.epochMilliseconds), at > boundsSweptUntil, at <= now {
                    passed.append(PassedBound(member: member, op: op, at: at))
                }
            }
        }
        return PassedBound.ordered(passed)
    }
}
