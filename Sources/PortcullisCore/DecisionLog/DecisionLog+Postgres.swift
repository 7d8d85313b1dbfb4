import PortcullisModel
import PortcullisPostgres

extension DecisionLog {
    /// A log whose entries live in the shared PostgreSQL database (SPEC 8.4), not in a node-local file: decisions any
    /// node records, any node reads. Ids carry `postgres.origin`, which no other node holds.
    ///
    /// ```swift
    /// let store = try PostgresStore(configuration, onCommit: versions.apply)
    /// let log = try DecisionLog(configuration: settings.decisionLog, postgres: try PostgresDecisionLog(store: store),
    ///                           clock: settings.clock, revision: { versions.revision })
    /// ```
    /// - Parameter revision: the current data revision, for sign-ins and sign-outs.
    public convenience init(configuration: DecisionLogConfiguration, postgres: PostgresDecisionLog, clock: WallClock = .system,
                            revision: @escaping @Sendable () -> Int64 = { 0 }) {
        self.init(configuration: configuration, storage: postgres, ids: DecisionIDSource(clock: clock, origin: postgres.origin), clock: clock,
                  revision: revision)
    }
}

/// The PostgreSQL table as a decision log's storage: records become rows, rows become entries, a query becomes a
/// `Filter` (an unfiltered page is one statement; a filtered one reads the lead filter's postings rows, then the
/// entries they list, as the SQLite file does).
/// `max_bytes` caps the SQLite file only: the database's size is PostgreSQL's to manage.
extension PostgresDecisionLog: DecisionLogStorage {
    func insert(_ records: [DecisionRecord]) throws {
        try insert(records.map(Self.row))
    }

    func page(_ query: DecisionQuery) throws -> (items: [StoredDecision], nextCursor: Int64?) {
        let (low, high) = query.keyRange
        let filter = Filter(low: low, high: high, userId: query.userId, resourceId: query.resourceId, resourceType: query.resourceType,
                            allowed: query.allowed, limit: query.limit)
        let items = try page(filter).map(Self.entry)
        return (items, items.count >= query.limit ? items.last?.key : nil)
    }

    func entry(_ id: DecisionID) throws -> StoredDecision? {
        try entry(key: id.key, origin: id.origin).map(Self.entry)
    }

    func sweep(before key: Int64, maxBytes: Int64) throws -> Int {
        try deleteEntries(before: key) ?? 0
    }

    /// The columns of `record`, as `DecisionLogFile.insert` writes them.
    static func row(_ record: DecisionRecord) -> Row {
        switch record.subject {
        case .check(let request, let decision):
            Row(key: record.id.key, origin: record.id.origin, revision: record.revision, callerKind: record.caller?.kind.rawValue,
                callerId: record.caller?.id, userId: request.userId, action: request.action.rawValue, resourceType: request.resourceType.rawValue,
                resourceId: request.resourceId, allowed: decision.allowed, reason: decision.reason.code, rules: decision.rulePath.encoded,
                clientAddress: nil, asOf: request.asOf)
        case .account(let event):
            Row(key: record.id.key, origin: record.id.origin, revision: record.revision, callerKind: record.caller?.kind.rawValue,
                callerId: record.caller?.id, userId: event.userId, action: event.action.rawValue, resourceType: StoredDecision.accountType,
                resourceId: event.userId, allowed: event.allowed, reason: event.reason, rules: "", clientAddress: event.clientAddress, asOf: nil)
        }
    }

    /// The entry a row holds, as `DecisionLogFile` reads one.
    static func entry(_ row: Row) -> StoredDecision {
        let id = DecisionID(key: row.key, origin: row.origin)
        return StoredDecision(
            decisionId: id.text, at: Timestamp.format(epochMilliseconds: id.milliseconds), revision: row.revision,
            caller: row.callerKind.flatMap(DecisionCaller.Kind.init(rawValue:)).map { DecisionCaller(kind: $0, id: row.callerId) },
            userId: row.userId, action: row.action, resourceType: row.resourceType, resourceId: row.resourceId, allowed: row.allowed,
            reason: row.reason, rules: StoredDecision.rules(row.rules, action: row.action, resourceType: row.resourceType),
            clientAddress: row.clientAddress, asOf: row.asOf.map(Timestamp.format(epochMilliseconds:)), key: id.key)
    }
}
