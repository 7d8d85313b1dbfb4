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
    /// PostgreSQL reads a single statement in a snapshot of its own, so no BEGIN … COMMIT is needed. Blocks the calling
    /// thread; `decisionFacts(asynchronously:)` is the same read without a blocked thread.
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
        return try Self.decisionFacts(row, resourceType: request.resourceType)
    }

    /// The same statement as `decisionFacts(_:)`, prepared once per connection (`PostgresDecisionStatement`) and
    /// awaited on a connection of `decisionClient`: no thread waits for the round trip. Gives up after
    /// `PostgresSnapshotPool.statementTimeout` with `store_unavailable`.
    public func decisionFacts(asynchronously request: CheckRequest) async throws -> DecisionFacts {
        switch request.resourceType {
        case .generation: try await firstRow(of: DecideGenerationStatement(request: request))
        case .project: try await firstRow(of: DecideProjectStatement(request: request))
        case .team: try await firstRow(of: DecideTeamStatement(request: request))
        }
    }

    /// A synchronous read of batches and listings, run on NIO's blocking thread pool: its statements block a thread
    /// for each round trip, which must be neither an event loop nor one of Swift's cooperative pool.
    public func runBlockingRead<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    /// The first row `statement` returns, read on a connection of `decisionClient`, lease included, within
    /// `PostgresSnapshotPool.statementTimeout`.
    func firstRow<Statement: PostgresPreparedStatement>(of statement: Statement) async throws -> Statement.Row where Statement.Row: Sendable {
        let client = decisionClient
        let logger = logger
        do {
            return try await PostgresSnapshotPool.withinStatementTimeout {
                try await client.withConnection { connection in
                    var first: Statement.Row?
                    // Every row is read, so the connection goes back to the pool with its statement finished.
                    for try await row in try await connection.execute(statement, logger: logger) where first == nil { first = row }
                    guard let first else { throw PortcullisError(.storeError, "\(Statement.name) returned no row") }
                    return first
                }
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// A decision statement's row as `DecisionFacts`: `decisionPrefix`, whether the resource exists, then its columns.
    /// `binaryColumns`: see `PostgresColumns.init(_:binary:)`.
    static func decisionFacts(_ row: PostgresRow, resourceType: ResourceType, binaryColumns: Bool = false) throws(PortcullisError) -> DecisionFacts {
        var columns = PostgresColumns(row, binary: binaryColumns)
        let revision: Int64 = try columns.next()
        let userExists: Bool = try columns.next()
        let isAdmin: Bool = try columns.next()
        let isActive: Bool = try columns.next()
        let exists: Bool = try columns.next()
        let subject = userExists ? SubjectFacts(isAdmin: isAdmin, isActive: isActive) : nil
        let resource: DecisionFacts.Resource
        switch resourceType {
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
