import Foundation
import PortcullisModel
import PortcullisPostgres
import Synchronization

/// The media signing keys of a PostgreSQL deployment, shared by every node (SPEC 8.4: any node verifies any URL).
///
/// Each node keeps the keys it last read in memory; signing and verifying read only that (no I/O on the hot path).
/// It reads again:
///
/// - **every `pollInterval`** (1 s), in a task of its own: one `SELECT version`, and the keys only when the version
///   moved. A rotation or retirement on any node is seen by every node within about `pollInterval` plus a round trip;
/// - **for a key id it does not hold** (a URL signed by a key made on another node since the last read): one
///   synchronous read, at most once per `unknownKidInterval` (250 ms) whatever the key ids, so random key ids from an
///   attacker cost the database at most four reads a second per node. An id still unknown after a read, or arriving
///   while the limit holds, is refused (the poll picks up a genuine new key within `pollInterval` anyway).
///
/// **Fail closed, with a hard bound.** The keys in hand are trusted only while the read that produced them started at
/// most `maximumStaleness` (5 s) ago. Past that — the database unreachable, or every read failing — `current()` is
/// nil: no URL verifies and none is signed (503 `signing_keys_unreadable`) until a read succeeds. So a retirement
/// committed at time T is refused by every node, reachable or not, from T + `maximumStaleness` on; a key known to
/// be retired never verifies. Until then, during an outage, the keys last read keep signing and verifying: the
/// decisions that every media URL also needs fail closed on their own (SPEC 8.4).
///
/// The first node to start on an empty table creates the first key; nodes starting together create exactly one.
public final class PostgresSigningKeyStorage: SigningKeyStorage {
    /// When to read again, and the clock to measure it by.
    public struct Timing: Sendable {
        /// How often the background task polls the version; nil for no task (tests drive `refresh()` themselves).
        public var pollInterval: Duration?
        /// How long keys stay trusted after the read that produced them started.
        public var maximumStaleness: Duration
        /// The least time between two reads prompted by unknown key ids (or by keys too old to trust).
        public var unknownKidInterval: Duration
        /// A monotonic clock, in nanoseconds.
        public var now: @Sendable () -> UInt64

        /// Timings from their parts; the defaults are the production ones.
        public init(pollInterval: Duration? = .seconds(1), maximumStaleness: Duration = .seconds(5),
                    unknownKidInterval: Duration = .milliseconds(250),
                    now: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) {
            self.pollInterval = pollInterval
            self.maximumStaleness = maximumStaleness
            self.unknownKidInterval = unknownKidInterval
            self.now = now
        }

        /// Poll every second, trust keys for 5 s, at most one unknown-kid read per 250 ms.
        public static let standard = Timing()
    }

    /// The statements on the shared tables.
    public let database: PostgresSigningKeys
    /// The timing this storage runs on.
    public let timing: Timing

    private struct Cache {
        /// The keys of `version`; nil only if the table held none (which creating the first key at start prevents).
        var contents: SigningKeyring.Contents?
        var version: Int64
        /// When the newest read that confirmed `version` started (`timing.now`).
        var readStartedAt: UInt64
        /// When the last read prompted by an unknown kid (or by stale keys) was allowed.
        var lastPromptedRead: UInt64?
    }

    private let cache: Mutex<Cache>
    private let poller = Mutex<Task<Void, Never>?>(nil)
    /// Polls made and the last poll's failure, for diagnostics: why a node's keys are growing old.
    private let polls = Atomic<Int>(0)
    private let lastPollFailure = Mutex<String?>(nil)

    /// How many polls (`refresh()`) have finished, failed or not.
    public var pollCount: Int { polls.load(ordering: .relaxed) }
    /// The error of the last poll when it failed; nil after a successful one.
    public var pollFailure: String? { lastPollFailure.withLock { $0 } }

    /// Opens the keys of `store`'s database: creates the first key when there is none, reads the keys, and starts
    /// polling (unless `timing.pollInterval` is nil). Blocks for two round trips; call it off the event loops.
    /// - Throws: the store's errors (`store_unavailable`, `store_error`) when the database cannot be read.
    public init(store: PostgresStore, timing: Timing = .standard) throws {
        database = PostgresSigningKeys(store: store)
        self.timing = timing
        try database.createFirstKey(Self.record(SigningKeyring.newKey()))
        let started = timing.now()
        let snapshot = try database.snapshot()
        cache = Mutex(Cache(contents: Self.contents(snapshot), version: snapshot.version, readStartedAt: started))
        if let interval = timing.pollInterval {
            poller.withLock { task in
                task = Task { [weak self] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        guard let self else { return }
                        await self.refresh()
                    }
                }
            }
        }
    }

    deinit {
        poller.withLock { $0?.cancel() }
    }

    /// The keys last read, while they are at most `maximumStaleness` old; nil after.
    public func current() -> SigningKeyring.Contents? {
        let now = timing.now()
        return cache.withLock { cache in
            guard Self.elapsed(since: cache.readStartedAt, now: now) <= Self.nanoseconds(timing.maximumStaleness) else { return nil }
            return cache.contents
        }
    }

    /// Reads the keys now, unless a read prompted this way was made less than `unknownKidInterval` ago; then, or when
    /// the read fails (an outage, or a call on an event-loop thread), what `current()` holds.
    public func reread() -> SigningKeyring.Contents? {
        let now = timing.now()
        let allowed = cache.withLock { cache in
            if let last = cache.lastPromptedRead, Self.elapsed(since: last, now: now) < Self.nanoseconds(timing.unknownKidInterval) {
                return false
            }
            cache.lastPromptedRead = now
            return true
        }
        if allowed, let snapshot = try? database.snapshot() {
            keep(snapshot, startedAt: now)
        }
        return current()
    }

    /// Polls once: reads the version and, when it moved, the keys. A failure changes nothing (the keys age towards
    /// `maximumStaleness`). The background task calls it every `pollInterval`; tests call it to drive a refresh.
    public func refresh() async {
        defer { polls.add(1, ordering: .relaxed) }
        let started = timing.now()
        do {
            let version = try await database.polledVersion()
            let unchanged = cache.withLock { cache in
                guard cache.version == version else { return false }
                cache.readStartedAt = max(cache.readStartedAt, started)
                return true
            }
            if !unchanged { keep(try await database.polledSnapshot(), startedAt: started) }
            lastPollFailure.withLock { $0 = nil }
        } catch {
            lastPollFailure.withLock { $0 = "\(error)" }
        }
    }

    /// The keys as the database holds them this moment (a read on a reader connection).
    public func contents() throws -> SigningKeyring.Contents {
        let started = timing.now()
        let snapshot = try database.snapshot()
        keep(snapshot, startedAt: started)
        guard let contents = Self.contents(snapshot) else { throw PortcullisError(.signingKeysEmpty, "the signing_keys table holds no keys") }
        return contents
    }

    /// Adds `key` as the active key in the database (the state row locked, so rotations of several nodes all keep
    /// their keys), then reads the keys so this node signs with it at once.
    public func rotate(adding key: SigningKeyring.Key) throws {
        try database.rotate(adding: Self.record(key))
        _ = try contents()
    }

    /// Retires a key in the database, then reads the keys so this node refuses it at once.
    public func retire(kid: String) throws -> SigningKeyring.Key {
        let record = try database.retire(kid: kid)
        _ = try contents()
        return SigningKeyring.Key(kid: record.kid, secret: record.secret, createdAt: record.createdAt, retired: record.retired)
    }

    /// Keeps `snapshot` unless a newer version is already in hand; keys of a version are current as of the latest
    /// start of any read that returned that version or an older one (versions only grow).
    private func keep(_ snapshot: PostgresSigningKeys.Snapshot, startedAt started: UInt64) {
        let contents = Self.contents(snapshot)
        cache.withLock { cache in
            if snapshot.version >= cache.version {
                cache.contents = contents
                cache.version = snapshot.version
            }
            cache.readStartedAt = max(cache.readStartedAt, started)
        }
    }

    /// The keyring's view of a snapshot: keys whose secrets are too short are left out (they verify nothing), and
    /// nil when no usable key is active.
    private static func contents(_ snapshot: PostgresSigningKeys.Snapshot) -> SigningKeyring.Contents? {
        guard let active = snapshot.active else { return nil }
        let keys = snapshot.keys
            .filter { (Base64URL.decode($0.secret)?.count ?? 0) >= SigningKeyring.minimumSecretBytes }
            .map { SigningKeyring.Key(kid: $0.kid, secret: $0.secret, createdAt: $0.createdAt, retired: $0.retired) }
        guard keys.contains(where: { $0.kid == active && !$0.retired }) else { return nil }
        return SigningKeyring.Contents(active: active, keys: keys)
    }

    private static func record(_ key: SigningKeyring.Key) -> PostgresSigningKeys.Record {
        PostgresSigningKeys.Record(kid: key.kid, secret: key.secret, createdAt: key.createdAt, retired: key.retired)
    }

    private static func elapsed(since start: UInt64, now: UInt64) -> UInt64 {
        now >= start ? now - start : 0
    }

    private static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}

extension SigningKeyring {
    /// Opens the signing keys shared in `store`'s PostgreSQL database (SPEC 8.4): every node of the deployment opens
    /// its keyring this way and verifies URLs signed by any node. Creates the first key when the table has none.
    /// Blocks for two round trips; call it off the event loops.
    ///
    /// ```swift
    /// let store = try PostgresStore(configuration)
    /// let keyring = try SigningKeyring(postgres: store)
    /// ```
    public convenience init(postgres store: PostgresStore, timing: PostgresSigningKeyStorage.Timing = .standard) throws {
        self.init(storage: try PostgresSigningKeyStorage(store: store, timing: timing))
    }
}
