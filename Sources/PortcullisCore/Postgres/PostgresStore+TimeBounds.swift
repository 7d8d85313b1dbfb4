import PortcullisModel
import PortcullisStore
import PostgresNIO

/// Time bounds passing, recorded in the change log (`TimeBoundStore`), as `SQLiteStore+TimeBounds` does;
/// `time_bound_sweep` remembers how far the sweep got.
extension PostgresStore: TimeBoundStore {
    static let passedBoundsSQL = """
        SELECT \(memberColumns), 'activate' AS op, starts_at AS bound FROM team_members WHERE starts_at > $1 AND starts_at <= $2
        UNION ALL
        SELECT \(memberColumns), 'expire' AS op, expires_at AS bound FROM team_members WHERE expires_at > $1 AND expires_at <= $2
        """

    /// One bookkeeping transaction finds whether any bound passed since the watermark; if none did, it moves the
    /// watermark in the same transaction (no revision). If some did, one write records them with a new revision and
    /// moves the watermark. The watermark row is locked (`FOR UPDATE`) in both, so two nodes sweeping at once record
    /// each bound once.
    @discardableResult
    public func recordPassedBounds(until now: Int64) async throws -> Int64? {
        let logger = logger
        let pending = try await read { connection -> Bool in
            try await Self.execute(connection, "BEGIN", logger: logger)
            do {
                let swept = try await Self.sweptUntil(connection, logger: logger)
                var pending = false
                if swept < now {
                    pending = try await !Self.query(connection, Self.passedBoundsSQL + " LIMIT 1", .of(swept, now), logger: logger).isEmpty
                    if !pending {
                        try await Self.execute(connection, "UPDATE time_bound_sweep SET swept_until = $1 WHERE id = 1", .of(now), logger: logger)
                    }
                }
                try await Self.execute(connection, "COMMIT", logger: logger)
                return pending
            } catch {
                try? await Self.execute(connection, "ROLLBACK", logger: logger)
                throw error
            }
        }
        guard pending else { return nil }
        return try await write { connection, changed, changes in
            let swept = try await Self.sweptUntil(connection, logger: logger)
            let passed = try await Self.query(connection, Self.passedBoundsSQL, .of(swept, now), logger: logger).map { row in
                var columns = PostgresColumns(row)
                columns.skip(8)  // the membership's columns, read by `member(_:)`
                let op: String = try columns.next(), bound: Int64 = try columns.next()
                return PassedBound(member: try Self.member(row), op: ChangeOp(rawValue: op) ?? .expire, at: bound)
            }
            for bound in PassedBound.ordered(passed) {
                try changes.updated(bound.member, bound.member, op: bound.op)
                changed.append(.user(bound.member.userId))
            }
            try await Self.execute(connection, "UPDATE time_bound_sweep SET swept_until = $1 WHERE id = 1", .of(max(swept, now)), logger: logger)
        }.revision
    }

    /// The watermark, locked until the transaction ends.
    static func sweptUntil(_ connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        guard let row = try await query(connection, "SELECT swept_until FROM time_bound_sweep WHERE id = 1 FOR UPDATE", logger: logger).first
        else { return 0 }
        return try row.decode(Int64.self)
    }
}
