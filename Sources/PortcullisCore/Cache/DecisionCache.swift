import PortcullisModel
import PortcullisSQLite
import Synchronization

/// The cache of SPEC section 3: L1 in memory, L2 and L3 in a SQLite file behind circuit breakers, every entry
/// validated against the `VersionClock` on read, so no layer ever serves an answer older than a completed write.
///
/// Everything that caches an answer — decisions, identities behind tokens and API keys, `/me` — goes through one
/// sequence, `answer(_:_:compute:)`: read the applied revision, look the key up layer by layer (validating and
/// promoting), and on a miss compute the answer and store it with the versions of what it read. The correctness
/// argument (docs/caching.md) is about this sequence alone; nothing outside this type touches the layers, the
/// breakers or the versions.
///
/// ```swift
/// let answer = try cache.answer(CacheKey(.decision, question), DecisionCodec.codec) {
///     // Read from a snapshot that begins now: after the revision the cache read.
///     let (decision, dependencies) = try evaluate(question)
///     return Computed(decision, dependencies: dependencies)
/// }
/// answer.value     // the decision
/// answer.layer     // .l1, .l2, .l3 or .miss
/// ```
public final class DecisionCache: Sendable {
    /// The cache's sizes, lifetimes and breaker settings (`[cache]` in the configuration file).
    public struct Configuration: Sendable {
        /// Memory L1 may hold, in bytes (approximate, per entry), split evenly over its 16 shards.
        public var l1BudgetBytes = 300 * 1024 * 1024
        /// Seconds an entry may live in L1.
        public var l1TTLSeconds: Int64 = 300
        /// Seconds an entry may live in L2 (the session cache, emptied at start).
        public var l2TTLSeconds: Int64 = 900
        /// Seconds an entry may live in L3 (kept across restarts).
        public var l3TTLSeconds: Int64 = 3600
        /// Seconds an open L2 or L3 breaker skips its layer before letting one probe read through.
        public var breakerOpenSeconds: Int64 = 30
        /// Consecutive failed (or slow) reads of a layer that open its breaker.
        public var breakerFailureThreshold = 5
        /// A lower-layer read slower than this counts as a breaker failure.
        public var breakerSlowNanoseconds: Int64 = 50_000_000
        /// Cache a normal-priority answer the first time it is computed, rather than on its second sighting
        /// (see `Doorkeeper`); for tests that look at the layers themselves.
        public var admitOnFirstSighting = false

        /// The defaults docs/caching.md describes.
        public init() {}
    }

    /// The configuration the cache was made with.
    public let configuration: Configuration
    let versions: VersionClock
    let l1: MemoryCache
    /// Nil when the cache runs in memory only.
    let layers: SQLiteCacheLayers?
    let l2Breaker: CircuitBreaker
    let l3Breaker: CircuitBreaker
    let statistics: [CacheLayer: LayerStatistics]
    /// Second-sighting admission to L1 for normal-priority answers (see `Doorkeeper`).
    let doorkeeper = Doorkeeper()
    /// Answers not cached because they were seen for the first time.
    let notAdmitted = Atomic<Int>(0)
    /// Entries found but no longer valid (a dependency changed) — dropped, never served.
    let staleRejections = Atomic<Int>(0)
    /// Reads a lower layer failed with (the breaker counts them too).
    let layerErrors = Atomic<Int>(0)
    let clock: WallClock
    /// Told the duration of every lookup, in nanoseconds (the monitor's `cache_operation`).
    let lookupObserver: (@Sendable (Int64) -> Void)?

    /// The SQLite file of L2 and L3, and the identity of the database whose answers it keeps
    /// (`VersionStore.databaseIdentity()`): beside another database, or one rolled back, its entries all go.
    public struct File: Sendable {
        public var path: String
        public var database: String

        public init(path: String, database: String) {
            self.path = path
            self.database = database
        }
    }

    /// - Parameters:
    ///   - versions: the versions the store's commits are applied to (see `VersionClock`), already loaded.
    ///   - file: L2 and L3's file and its database; nil keeps the cache in memory only.
    ///   - lookupObserver: told the duration of every lookup in nanoseconds.
    public init(configuration: Configuration = Configuration(), versions: VersionClock, file: File?, clock: WallClock = .system,
                lookupObserver: (@Sendable (Int64) -> Void)? = nil) throws {
        self.configuration = configuration
        self.versions = versions
        self.clock = clock
        self.lookupObserver = lookupObserver
        layers = try file.map { try SQLiteCacheLayers(path: $0.path, database: $0.database, versions: versions, now: clock.milliseconds()) }
        l1 = MemoryCache(budgetBytes: configuration.l1BudgetBytes, ttlSeconds: configuration.l1TTLSeconds)
        l2Breaker = CircuitBreaker(failureThreshold: configuration.breakerFailureThreshold, openSeconds: configuration.breakerOpenSeconds,
                                   slowThresholdNanoseconds: configuration.breakerSlowNanoseconds)
        l3Breaker = CircuitBreaker(failureThreshold: configuration.breakerFailureThreshold, openSeconds: configuration.breakerOpenSeconds,
                                   slowThresholdNanoseconds: configuration.breakerSlowNanoseconds)
        statistics = Dictionary(uniqueKeysWithValues: CacheLayer.allCases.map { ($0, LayerStatistics()) })
    }

    // MARK: The one sequence

    /// The answer to `key`: a valid one from L1, L2 or L3, or — on a miss — `compute()`'s, which is then cached.
    ///
    /// `compute` must read the data after it is called (from a snapshot it begins then): the cache has read the
    /// applied revision before the lookup, and stores the answer only if none of its dependencies moved past that
    /// revision, so an entry never records versions newer than the data it was computed from.
    ///
    /// `compute` declares what its answer read; forgetting a dependency is how a stale answer gets served:
    ///
    /// ```swift
    /// let body = try cache.answer(CacheKey(.profile, userId), .text) {
    ///     guard let profile = try store.profile(userId: userId) else { throw PortcullisError.notFound("user", userId) }
    ///     return Computed(try render(profile), dependencies: [.user(userId)] + profile.teams.map { .team($0.teamId) })
    /// }.value
    /// ```
    ///
    /// Errors thrown by `compute` propagate and nothing is cached.
    ///
    /// Inlinable, so the generic steps (decoding, the closure) are specialized where it is called; the lookup and the
    /// store stay in this module, behind `find` and `keep`.
    @inlinable
    public func answer<Value>(_ key: CacheKey, _ codec: CacheCodec<Value>, compute: () throws -> Computed<Value>) rethrows -> Answer<Value> {
        switch lookUp(key, codec) {
        case .hit(let answer): return answer
        case .miss(let revision): return keep(try compute(), for: key, codec, computedAfter: revision)
        }
    }

    /// `answer(_:_:compute:)` for answers computed asynchronously.
    @inlinable
    public func answer<Value>(_ key: CacheKey, _ codec: CacheCodec<Value>, compute: () async throws -> Computed<Value>) async rethrows
        -> Answer<Value>
    {
        switch lookUp(key, codec) {
        case .hit(let answer): return answer
        case .miss(let revision): return keep(try await compute(), for: key, codec, computedAfter: revision)
        }
    }

    /// What a lookup found: a valid answer, or a miss and the revision read before it, which `keep(_:for:_:computedAfter:)`
    /// needs once the answer is computed.
    public enum Lookup<Value> {
        case hit(Answer<Value>)
        case miss(revision: Int64)
    }

    /// The first half of `answer(_:_:compute:)`, for a caller whose computation completes later (a read on an event
    /// loop): the valid answer to `key`, or a miss. Read the data only after this returns, then hand the result to
    /// `keep(_:for:_:computedAfter:)` with the miss's revision.
    @inlinable
    public func lookUp<Value>(_ key: CacheKey, _ codec: CacheCodec<Value>) -> Lookup<Value> {
        let revision = appliedRevision
        if let (payload, layer, expiresAt) = find(key), let value = decoded(payload, key, codec) {
            return .hit(Answer(value: value, layer: layer, revision: revision, expiresAt: expiresAt))
        }
        return .miss(revision: revision)
    }

    /// The second half of `answer(_:_:compute:)`: caches `computed` if it may be (none of its dependencies moved past
    /// `revision`, the one the miss read) and returns it as a miss's answer.
    @inlinable
    public func keep<Value>(_ computed: Computed<Value>, for key: CacheKey, _ codec: CacheCodec<Value>, computedAfter revision: Int64)
        -> Answer<Value>
    {
        keep(key, computed.dependencies.map { _ in codec.encode(computed.value) }, dependencies: computed.dependencies,
             validUntil: computed.validUntil, priority: computed.priority, computedAfter: revision)
        return Answer(value: computed.value, layer: .miss, revision: revision, expiresAt: computed.validUntil ?? .max)
    }

    /// Many answers at once, all reporting one revision: the cache answers what it validly holds, and `compute` is
    /// called once with the indices of the rest (to read them from one snapshot), returning their answers in order.
    public func answers<Value>(_ keys: [CacheKey], _ codec: CacheCodec<Value>, compute: ([Int]) throws -> [Computed<Value>]) rethrows
        -> [Answer<Value>]
    {
        let revision = appliedRevision
        var found: [(value: Value, layer: CacheLayer)?] = keys.map { key in
            guard let (payload, layer, _) = find(key), let value = decoded(payload, key, codec) else { return nil }
            return (value, layer)
        }
        let missing = found.indices.filter { found[$0] == nil }
        if !missing.isEmpty {
            let computed = try compute(missing)
            precondition(computed.count == missing.count, "compute must answer every missing key, in order")
            for (index, answer) in zip(missing, computed) {
                keep(keys[index], answer.dependencies.map { _ in codec.encode(answer.value) }, dependencies: answer.dependencies,
                     validUntil: answer.validUntil, priority: answer.priority, computedAfter: revision)
                found[index] = (answer.value, .miss)
            }
        }
        return found.map { Answer(value: $0!.value, layer: $0!.layer, revision: revision) }
    }

    /// The revision up to which every committed write's versions are applied.
    public var revision: Int64 { versions.revision }

    // MARK: Lookup and store

    @usableFromInline
    var appliedRevision: Int64 { versions.revision }

    /// The payload of a valid entry for `key`, the layer it came from and when it expires (Unix milliseconds),
    /// promoting lower-layer hits upward.
    @usableFromInline
    func find(_ key: CacheKey) -> (payload: String, layer: CacheLayer, expiresAt: Int64)? {
        let started = lookupObserver == nil ? 0 : monotonicNanoseconds()
        let found = lookup(key.rawValue)
        if let lookupObserver { lookupObserver(monotonicNanoseconds() - started) }
        return found.map { ($0.entry.payload, $0.layer, $0.entry.expiresAt) }
    }

    /// The payload decoded; an entry that does not decode (written by an older version) is dropped and missed.
    @inlinable
    func decoded<Value>(_ payload: String, _ key: CacheKey, _ codec: CacheCodec<Value>) -> Value? {
        if let value = codec.decode(payload) { return value }
        drop(key)
        return nil
    }

    @usableFromInline
    func drop(_ key: CacheKey) {
        l1.remove(key.rawValue)
    }

    /// A valid entry for `key` and the layer it came from; nil on a miss.
    func lookup(_ key: String) -> (entry: CacheEntry, layer: CacheLayer)? {
        let now = clock.milliseconds()
        var start = monotonicNanoseconds()
        // Read before validating: an entry validated at this revision stays valid while it is the applied one.
        let revision = versions.revision
        if let found = l1.getCounting(key, now: now, revision: revision, isCurrent: { versions.isCurrent($0.dependencies) }) {
            let (entry, hits) = (found.entry, found.hits)
            if found.isCurrent {
                statistics[.l1]!.hit(nanoseconds: monotonicNanoseconds() - start)
                // Admission: an answer earns a place in L2/L3 by being reused once, so one-off answers
                // (a uniform workload) cost no SQLite writes.
                if hits == 1, let layers { enqueueLower(layers, key, entry, now: now) }
                return (entry, .l1)
            }
            l1.remove(key)
            staleRejections.add(1, ordering: .relaxed)
        }
        statistics[.l1]!.miss(nanoseconds: monotonicNanoseconds() - start)
        guard let layers else {
            statistics[.miss]!.hit(nanoseconds: 0)
            return nil
        }
        for (layer, breaker, cacheLayer) in [(SQLiteCacheLayers.Layer.l2, l2Breaker, CacheLayer.l2), (.l3, l3Breaker, .l3)] {
            guard breaker.allow(now: now / 1000) else { continue }
            start = monotonicNanoseconds()
            let found: CacheEntry?
            do {
                found = try layers.get(layer, key)
            } catch {
                breaker.record(success: false, nanoseconds: monotonicNanoseconds() - start, now: now / 1000)
                layerErrors.add(1, ordering: .relaxed)
                continue
            }
            let elapsed = monotonicNanoseconds() - start
            breaker.record(success: true, nanoseconds: elapsed, now: now / 1000)
            guard let entry = found, entry.expiresAt > now else {
                statistics[cacheLayer]!.miss(nanoseconds: elapsed)
                continue
            }
            guard versions.isCurrent(entry.dependencies) else {
                layers.enqueueDelete(layer, key)
                staleRejections.add(1, ordering: .relaxed)
                statistics[cacheLayer]!.miss(nanoseconds: elapsed)
                continue
            }
            statistics[cacheLayer]!.hit(nanoseconds: elapsed)
            // Promote: into L1 now, into L2 in the background for an L3 hit.
            l1.put(key, entry, now: now)
            if layer == .l3 { layers.enqueuePut(.l2, key, capped(entry, ttlSeconds: configuration.l2TTLSeconds, now: now)) }
            return (entry, cacheLayer)
        }
        statistics[.miss]!.hit(nanoseconds: 0)
        return nil
    }

    /// Caches a computed answer (its encoded `payload`) if it may be: it has dependencies, it is admitted, and none of
    /// its dependencies changed after `revisionBefore` (so its recorded versions are never newer than the data it was
    /// computed from).
    @usableFromInline
    func keep(_ key: CacheKey, _ payload: String?, dependencies: [DependencyKey]?, validUntil: Int64?, priority: CachePriority,
              computedAfter revisionBefore: Int64) {
        guard let payload, let dependencies else { return }
        store(key.rawValue, payload: payload, dependencies: dependencies, computedAfter: revisionBefore, expiresAt: validUntil, priority: priority)
    }

    /// Stores an entry with the current versions of its dependencies (and the epoch's) if none is newer than
    /// `revisionBefore`; `expiresAt` is in Unix milliseconds.
    @discardableResult
    func store(_ key: String, payload: String, dependencies keys: [DependencyKey], computedAfter revisionBefore: Int64,
               expiresAt: Int64? = nil, priority: CachePriority = .normal) -> Bool {
        // Identities and other high-priority answers are reused at once; decisions earn their place by recurring.
        if priority < .high && !configuration.admitOnFirstSighting && !doorkeeper.admit(key) {
            notAdmitted.add(1, ordering: .relaxed)
            return false
        }
        let allKeys = keys + [.epoch]
        let stamp = versions.stamp(allKeys)
        guard stamp.allSatisfy({ $0 <= revisionBefore }) else { return false }
        let now = clock.milliseconds()
        if let expiresAt, expiresAt <= now { return false }
        let dependencies = zip(allKeys, stamp).map { Dependency(key: $0, version: $1) }
        let entry = CacheEntry(payload: payload, dependencies: dependencies, expiresAt: expiresAt ?? Int64.max, priority: priority)
        l1.put(key, entry, now: now)
        return true
    }

    func enqueueLower(_ layers: SQLiteCacheLayers, _ key: String, _ entry: CacheEntry, now: Int64) {
        layers.enqueuePut(.l2, key, capped(entry, ttlSeconds: configuration.l2TTLSeconds, now: now))
        layers.enqueuePut(.l3, key, capped(entry, ttlSeconds: configuration.l3TTLSeconds, now: now))
    }

    func capped(_ entry: CacheEntry, ttlSeconds: Int64, now: Int64) -> CacheEntry {
        var entry = entry
        entry.expiresAt = min(entry.expiresAt, now + ttlSeconds * 1000)
        return entry
    }
}

extension DecisionCache {
    /// A private, memory-only cache over the same versions: for measuring a cached answer without touching the live
    /// entries and figures (`GET /api/v1/performance/test`).
    public func scratch() -> DecisionCache {
        // Memory only: constructing it cannot fail.
        try! DecisionCache(configuration: configuration, versions: versions, file: nil, clock: clock)
    }
}
