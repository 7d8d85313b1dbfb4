import PortcullisModel

/// The change log of the memory backend: a list in (revision, seq) order, read from one state like a snapshot.
extension MemoryStore {
    /// One page, by the same rule as every backend (`ChangePaging`), from one copy of the state.
    public func changes(_ query: ChangeQuery) async throws -> ChangePage {
        let state = current()
        return try ChangePaging.page(query, horizon: state.changeHorizon) { position, onlyRevision, limit in
            let log = state.changes
            // The first change after `position`: the log is sorted, so a binary search finds it.
            var low = 0, high = log.count
            let seq = position.seq ?? Int64.max
            while low < high {
                let middle = (low + high) / 2
                let change = log[middle]
                if change.revision < position.revision || (change.revision == position.revision && change.seq <= seq) {
                    low = middle + 1
                } else {
                    high = middle
                }
            }
            var found: [Change] = []
            for change in log[low...] {
                if let onlyRevision, change.revision != onlyRevision { break }
                if let entity = query.entity, change.entity != entity { continue }
                if let entityId = query.entityId, change.entityId != entityId { continue }
                found.append(change)
                if found.count == limit { break }
            }
            return found
        }
    }

    /// The revision of the last committed write.
    public func latestRevision() async throws -> Int64 {
        current().revision
    }

    /// Retention removed every change at or below this revision.
    public func changeHorizon() async throws -> Int64 {
        current().changeHorizon
    }

    /// Removes the oldest revisions whose changes were recorded before `cutoff`; bookkeeping, no revision.
    @discardableResult
    public func pruneChanges(recordedBefore cutoff: String) async throws -> Int {
        var removed = 0
        touch { state in
            let end = state.changes.firstIndex { $0.at >= cutoff } ?? state.changes.count
            guard end > 0 else { return }
            // Whole revisions only: every change of a revision shares its `at`.
            let last = state.changes[end - 1].revision
            removed = end
            state.changes.removeFirst(end)
            state.changeHorizon = max(state.changeHorizon, last)
        }
        return removed
    }
}
