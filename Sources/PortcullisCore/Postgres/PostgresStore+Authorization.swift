import NIOPosix
import PortcullisModel
import PortcullisStore
import PostgresNIO

extension PostgresStore: AuthorizationStore {
    /// Runs `body` inside one `REPEATABLE READ, READ ONLY` transaction on a reader connection: every read of `body`
    /// sees the snapshot the first one took. Blocks the calling thread for each statement; on an event-loop thread it
    /// throws `store_error` instead (see `PostgresSnapshotPool`).
    public func withSnapshot<T>(_ body: (any AuthorizationSnapshot) throws -> T) throws -> T {
        let logger = logger
        return try readers.withConnection { connection in
            try Self.inReadTransaction(connection, logger: logger) { try body(PostgresSnapshot(connection: connection, logger: logger)) }
        }
    }

    /// One statement (`PostgresAuthorizationQueries.decideGeneration` and its siblings), one round trip, one snapshot:
    /// PostgreSQL reads a single statement in a snapshot of its own, so no BEGIN … COMMIT is needed.
    public func decisionFacts(_ request: CheckRequest) throws -> DecisionFacts {
        let sql: String
        switch request.resourceType {
        case .generation: sql = PostgresAuthorizationQueries.decideGeneration
        case .project: sql = PostgresAuthorizationQueries.decideProject
        case .team: sql = PostgresAuthorizationQueries.decideTeam
        }
        let logger = logger
        let rows = try readers.withConnection { connection in
            try PostgresSnapshotPool.rows(connection, sql, .of(request.resourceId, request.userId, request.action.rawValue), logger: logger)
        }
        guard let row = rows.first else { throw PortcullisError(.storeError, "the revision row is missing") }
        var columns = PostgresColumns(row)
        let revision: Int64 = try columns.next()
        let userExists: Bool = try columns.next()
        let isAdmin: Bool = try columns.next()
        let isActive: Bool = try columns.next()
        let exists: Bool = try columns.next()
        let subject = userExists ? SubjectFacts(isAdmin: isAdmin, isActive: isActive) : nil
        let resource: DecisionFacts.Resource
        switch request.resourceType {
        case .generation: resource = .generation(exists ? try PostgresSnapshot.generationFacts(&columns) : nil)
        case .project: resource = .project(exists ? try PostgresSnapshot.projectFacts(&columns) : nil)
        case .team: resource = .team(exists ? try PostgresSnapshot.teamFacts(&columns) : nil)
        }
        return DecisionFacts(revision: revision, subject: subject, resource: resource)
    }

    /// Runs `body` between `BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY` and `COMMIT` (or `ROLLBACK` when it
    /// throws, rethrowing its error).
    static func inReadTransaction<T>(_ connection: PostgresConnection, logger: Logger, _ body: () throws -> T) throws -> T {
        _ = try PostgresSnapshotPool.rows(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", PostgresBindings(), logger: logger)
        let result: T
        do {
            result = try body()
        } catch {
            _ = try? PostgresSnapshotPool.rows(connection, "ROLLBACK", PostgresBindings(), logger: logger)
            throw error
        }
        _ = try PostgresSnapshotPool.rows(connection, "COMMIT", PostgresBindings(), logger: logger)
        return result
    }

    /// Runs a synchronous snapshot read for an `async` caller on NIO's blocking thread pool, so no thread of Swift's
    /// cooperative pool waits for the database.
    func offloadedSnapshot<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let readers = readers
        let logger = logger
        return try await NIOThreadPool.singleton.runIfActive {
            try readers.withConnection { connection in try Self.inReadTransaction(connection, logger: logger) { try body(connection) } }
        }
    }
}
