import Logging
import PortcullisModel
import PostgresNIO

/// How a write publishes its commit to the other nodes (`PostgresChangeFeed`): a `commit_log` row and a
/// notification, both in the write's transaction, so they exist exactly when the write commits.
extension PostgresStore {
    /// The largest notification payload sent with the keys (PostgreSQL refuses payloads of 8000 bytes or more); a
    /// larger commit notifies its revision alone and the feed reads its keys from `commit_log`.
    static let maximumPayloadBytes = 4000

    /// The notification channel of the database and schema `configuration` names: `portcullis_changes`, or
    /// `portcullis_changes_<schema>` so that schemas sharing a database do not hear each other (a long schema name
    /// is shortened to a hash: a channel name has at most 63 bytes).
    static func channel(schema: String?) -> String {
        guard let schema else { return "portcullis_changes" }
        let name = "portcullis_changes_" + schema
        if name.utf8.count <= 63 { return name }
        // FNV-1a: stable across processes, unlike Hasher.
        return "portcullis_changes_" + String(FNV1a.hash(schema), radix: 16)
    }

    /// The payload announcing `revision`: `<revision>:<key>\n<key>…` when the keys fit in `maximumPayloadBytes`,
    /// else `<revision>` alone.
    static func payload(revision: Int64, keys: [String]) -> String {
        let full = String(revision) + ":" + keys.joined(separator: "\n")
        return full.utf8.count <= maximumPayloadBytes ? full : String(revision)
    }

    /// A payload's revision (nil when unreadable) and its keys (nil when they did not travel).
    static func parsePayload(_ payload: String) -> (revision: Int64?, keys: [DependencyKey]?) {
        guard let colon = payload.firstIndex(of: ":") else { return (Int64(payload), nil) }
        guard let revision = Int64(payload[..<colon]) else { return (nil, nil) }
        let rest = payload[payload.index(after: colon)...]
        let keys = rest.isEmpty ? [] : rest.split(separator: "\n").map { DependencyKey(rawValue: String($0)) }
        return (revision, keys)
    }

    /// Each key once, in first-named order.
    static func uniqueKeys(_ keys: [DependencyKey]) -> [String] {
        var seen = Set<String>()
        return keys.map(\.rawValue).filter { seen.insert($0).inserted }
    }

    /// The statements that publish a commit: $1 revision, $2 keys; $1 channel, $2 payload.
    static let insertCommitSQL = "INSERT INTO commit_log (revision, keys) VALUES ($1, $2)"
    static let notifySQL = "SELECT pg_notify($1, $2)"

    private static func commitBindings(_ revision: Int64, _ keys: [String]) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(revision)
        binds.append(keys)
        return binds
    }

    /// Records and announces a commit inside its write transaction (delivered to listeners when it commits).
    static func publish(_ connection: PostgresConnection, revision: Int64, keys: [DependencyKey], channel: String, logger: Logger)
        async throws
    {
        let unique = uniqueKeys(keys)
        try await execute(connection, insertCommitSQL, commitBindings(revision, unique), logger: logger)
        try await execute(connection, notifySQL, .of(channel, payload(revision: revision, keys: unique)), logger: logger)
    }

    /// The same, for the synchronous import.
    static func publishBlocking(_ connection: PostgresConnection, revision: Int64, keys: [DependencyKey], channel: String, logger: Logger)
        throws
    {
        let unique = uniqueKeys(keys)
        _ = try PostgresSnapshotPool.rows(connection, insertCommitSQL, commitBindings(revision, unique), logger: logger)
        _ = try PostgresSnapshotPool.rows(connection, notifySQL, .of(channel, payload(revision: revision, keys: unique)), logger: logger)
    }

    /// Deletes the commit log rows recorded more than `age` ago, keeping the newest row whatever its age (a node
    /// behind the oldest row reloads from `versions`). Moves no revision.
    /// - Returns: how many rows went.
    @discardableResult
    public func pruneCommitLog(olderThan age: Duration) async throws -> Int {
        let logger = logger
        let seconds = age.components.seconds
        return try await read { connection in
            try await Self.query(connection, """
                DELETE FROM commit_log WHERE recorded_at < now() - $1 * interval '1 second'
                AND revision < (SELECT max(revision) FROM commit_log) RETURNING 1
                """, .of(seconds), logger: logger).count
        }
    }
}
