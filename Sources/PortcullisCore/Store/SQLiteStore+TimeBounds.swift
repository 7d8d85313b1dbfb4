import PortcullisModel
import GRDB

/// Time bounds passing, recorded in the change log (`TimeBoundStore`); `time_bound_sweep` remembers how far it got.
extension SQLiteStore: TimeBoundStore {
    static let passedBoundsSQL = """
        SELECT \(memberColumns), 'activate' AS op, starts_at AS bound FROM team_members WHERE starts_at > ?1 AND starts_at <= ?2
        UNION ALL
        SELECT \(memberColumns), 'expire' AS op, expires_at AS bound FROM team_members WHERE expires_at > ?1 AND expires_at <= ?2
        """

    /// One bookkeeping transaction finds whether any bound passed since the watermark; if none did, it moves the
    /// watermark in the same transaction (no revision), so no membership written meanwhile can slip under it. If some
    /// did, one write records them with a new revision and moves the watermark.
    @discardableResult
    public func recordPassedBounds(until now: Int64) async throws -> Int64? {
        let pending = try await pool.write { db -> Bool in
            let swept = try Self.sweptUntil(db)
            guard swept < now else { return false }
            if try Row.fetchOne(db, sql: Self.passedBoundsSQL + " LIMIT 1", arguments: [swept, now]) != nil { return true }
            try db.execute(sql: "UPDATE time_bound_sweep SET swept_until = ? WHERE id = 1", arguments: [now])
            return false
        }
        guard pending else { return nil }
        return try await write { db, changed, changes in
            let swept = try Self.sweptUntil(db)
            let passed = try Row.fetchAll(db, sql: Self.passedBoundsSQL, arguments: [swept, now]).map { row in
                PassedBound(member: Self.member(row), op: ChangeOp(rawValue: row["op"]) ?? .expire, at: row["bound"])
            }
            for bound in PassedBound.ordered(passed) {
                try changes.updated(bound.member, bound.member, op: bound.op)
                changed.append(.user(bound.member.userId))
            }
            try db.execute(sql: "UPDATE time_bound_sweep SET swept_until = ? WHERE id = 1", arguments: [max(swept, now)])
        }.revision
    }

    static func sweptUntil(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT swept_until FROM time_bound_sweep WHERE id = 1") ?? 0
    }
}
