import Logging
import PortcullisCache
import PortcullisModel
import PortcullisPostgres
import PortcullisSQLite
import PortcullisStore
import ServiceLifecycle

/// The store a server answers from, wired to the node's versions and change signal, with what its backend needs
/// beside it.
///
/// - SQLite: one node. Every write applies its commit to the versions and wakes the change streams before it
///   returns; no gate is needed.
/// - PostgreSQL: several nodes. A node's versions move only through its `PostgresChangeFeed`, which applies every
///   node's commits in revision order (its own included: a write waits until the feed has applied it before it
///   returns). The feed runs as a service, and `gate` makes requests wait until the node is current (SPEC 8.4).
///
/// ```swift
/// let serving = try ServingStore.open(settings.storage, versions: versions, changes: changes, nodeName: "node-a", logger: logger)
/// try await serving.gate?.awaitCurrent(since: requestStart)
/// ```
public struct ServingStore: Sendable {
    /// The data, as the protocols only.
    public let store: any Store
    /// Nil on SQLite; on PostgreSQL the gate every request with credentials passes before it reads a cache.
    public let gate: (any ConsistencyGate)?
    /// The node's change feed on PostgreSQL; nil on SQLite.
    public let feed: PostgresChangeFeed?
    /// The database on PostgreSQL, where the decision log and the media signing keys live too; nil on SQLite.
    public let postgres: PostgresStore?
    /// What must run beside the server, first in its service group: the change feed, and what closes the connections once the
    /// server has stopped.
    public let services: [any Service]

    /// Opens the backend `selection` names, loads `versions` from it, and wires commits to `versions` and `changes`.
    /// - Parameters:
    ///   - nodeName: names this node's LISTEN connection in `pg_stat_activity` (PostgreSQL only).
    /// - Throws: `store_unavailable` when the database cannot be reached, `migration_failed` when a migration fails.
    public static func open(_ selection: StorageSelection, queries: QueryRegistry, versions: VersionClock, changes: ChangeSignal,
                            nodeName: String, logger: Logger) throws -> ServingStore {
        switch selection {
        case .sqlite(let configuration):
            let store = try StoreBackend.open(configuration, queries: queries) { commit in
                versions.apply(commit)
                changes.announce(commit)
            }
            versions.load(try store.persistedVersions())
            return ServingStore(store: store, gate: nil, feed: nil, postgres: nil, services: [])
        case .postgres(let configuration):
            // `onCommit` only counts this node's changes for /metrics: the feed is the versions' only writer, so they
            // move in revision order (docs/caching.md), and it wakes the change-stream readers for every node's commits.
            let store = try PostgresStore(configuration) { commit in changes.count(commit) }
            let persisted = try store.persistedVersions()
            versions.load(persisted)
            let feed = PostgresChangeFeed(configuration, after: persisted.revision, applicationName: "portcullis:" + nodeName,
                                          logger: logger) { commit in
                versions.apply(commit)
                // The feed knows a commit's revision and keys, not what it recorded in the change log.
                changes.wake(revision: commit.revision)
            }
            let gate = PostgresConsistencyGate(feed: feed) { limit, done in store.readRevisionForGate(within: limit, done) }
            store.awaitAfterEveryCommit { revision in _ = await feed.waitUntilApplied(revision, timeout: gate.wait) }
            // The closer first: a service group stops its services in reverse order, so it closes the connections
            // after the server has answered its last request and the feed has stopped.
            return ServingStore(store: store, gate: gate, feed: feed, postgres: store,
                                services: [PostgresStoreCloser(store: store), ChangeFeedService(feed: feed)])
        }
    }
}

/// Runs a node's change feed until the server shuts down.
struct ChangeFeedService: Service {
    let feed: PostgresChangeFeed

    func run() async throws {
        await cancelWhenGracefulShutdown { await feed.run() }
    }
}

/// Closes the store's PostgreSQL connections when the server stops: a server run in-process (tests, an embedding
/// application) would otherwise keep them open until PostgreSQL's `max_connections` refuses everyone.
struct PostgresStoreCloser: Service {
    let store: PostgresStore

    func run() async throws {
        try? await gracefulShutdown()
        store.close()
    }
}
