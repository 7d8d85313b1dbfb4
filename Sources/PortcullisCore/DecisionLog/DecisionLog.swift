import PortcullisModel
import PortcullisPolicy
import Synchronization

/// The decision log of SPEC 8.2: every check answer gets a `DecisionID`; the answers the mode selects, and every
/// sign-in and sign-out, go through a bounded queue to a SQLite file of their own (or, on the PostgreSQL backend, to
/// the shared database: `init(configuration:postgres:clock:revision:)`), written in batches by `DecisionLogWriter` off
/// the request path.
///
/// Recording never blocks a decision: it is a clock read, an atomic increment and, for an entry that is logged, one
/// short lock to append to the queue (the fast path calls it on a NIO event loop). A full queue, or a file that
/// refused its last write (a full disk), drops the entry and counts it.
///
/// ```swift
/// let log = try DecisionLog(configuration: configuration, path: dataDirectory + "/decisions.sqlite", clock: .system,
///                           revision: { versions.revision })
/// let id = log.record(request, decision, caller: DecisionCaller(identity))   // id.text goes into the answer
/// ```
public final class DecisionLog: Sendable {
    /// What is logged, how much and for how long.
    public let configuration: DecisionLogConfiguration
    /// Where ids come from.
    public let ids: DecisionIDSource
    /// Where entries go; nil keeps nothing (ids are still handed out): for routers built without a data directory.
    let storage: (any DecisionLogStorage)?
    /// The SQLite file, when that is the storage.
    var file: DecisionLogFile? { storage as? DecisionLogFile }
    let clock: WallClock
    /// The data revision an account event reflects.
    let revision: @Sendable () -> Int64
    private let queue = Mutex<[DecisionRecord]>([])
    /// Held from taking a batch off the queue until it is committed: a flush that finds the queue empty has then seen
    /// every earlier batch committed, which is what lets `page` and `entry` find every answer recorded before them.
    private let flushing = Mutex(())
    private let sampleThreshold: UInt64
    /// Unix milliseconds until which logging is paused after a failed write; 0 when it is not.
    let pausedUntil = Atomic<Int64>(0)
    let dropped = Atomic<Int>(0)
    let written = Atomic<Int>(0)

    /// A log writing to the SQLite file at `path` (created if absent); nil `path` keeps nothing.
    /// - Parameter revision: the current data revision, for sign-ins and sign-outs.
    /// - Throws: `store_unavailable` or `store_error` when the file cannot be opened or created.
    public convenience init(configuration: DecisionLogConfiguration, path: String?, clock: WallClock = .system,
                            revision: @escaping @Sendable () -> Int64 = { 0 }) throws {
        self.init(configuration: configuration, storage: try path.map { try DecisionLogFile(path: $0) }, ids: DecisionIDSource(clock: clock),
                  clock: clock, revision: revision)
    }

    /// A log keeping its entries in `storage`, its ids from `ids`.
    init(configuration: DecisionLogConfiguration, storage: (any DecisionLogStorage)?, ids: DecisionIDSource, clock: WallClock,
         revision: @escaping @Sendable () -> Int64) {
        self.configuration = configuration
        self.clock = clock
        self.revision = revision
        self.ids = ids
        self.storage = storage
        let rate = min(1, max(0, configuration.sampleRate))
        sampleThreshold = rate >= 1 ? .max : UInt64(rate * 18_446_744_073_709_551_615.0)
    }

    /// A log that keeps nothing and hands out ids.
    public static func discarding() -> DecisionLog {
        var configuration = DecisionLogConfiguration()
        configuration.mode = .off
        // Without a file nothing can fail to open.
        return try! DecisionLog(configuration: configuration, path: nil)
    }

    // MARK: Recording (the request path)

    /// The id of one check's answer, logging it if the mode selects it.
    public func record(_ request: CheckRequest, _ decision: Decision, caller: DecisionCaller) -> DecisionID {
        let (id, counter) = ids.next()
        if selects(allowed: decision.allowed, counter: counter) {
            enqueue(CollectionOfOne(DecisionRecord(id: id, revision: decision.revision, caller: caller, subject: .check(request, decision))))
        }
        return id
    }

    /// The ids of a batch's answers, in order, logging those the mode selects under one lock.
    public func record(batch requests: [CheckRequest], _ decisions: [Decision], caller: DecisionCaller) -> [DecisionID] {
        var records: [DecisionRecord] = []
        let ids = zip(requests, decisions).map { request, decision in
            let (id, counter) = self.ids.next()
            if selects(allowed: decision.allowed, counter: counter) {
                records.append(DecisionRecord(id: id, revision: decision.revision, caller: caller, subject: .check(request, decision)))
            }
            return id
        }
        if !records.isEmpty { enqueue(records) }
        return ids
    }

    /// Logs a sign-in or sign-out, whatever the mode.
    @discardableResult
    public func record(_ event: AccountEvent, caller: DecisionCaller?) -> DecisionID {
        let id = ids.next().id
        enqueue(CollectionOfOne(DecisionRecord(id: id, revision: revision(), caller: caller, subject: .account(event))))
        return id
    }

    /// Whether the mode logs an answer; `sampled` hashes the id's counter, so it needs no random state of its own.
    func selects(allowed: Bool, counter: UInt64) -> Bool {
        switch configuration.mode {
        case .off: false
        case .denies: !allowed
        case .all: true
        case .sampled: sampleThreshold == .max || Self.mix(counter) < sampleThreshold
        }
    }

    /// SplitMix64's finalizer: consecutive counters spread uniformly over 64 bits.
    static func mix(_ value: UInt64) -> UInt64 {
        var value = value &* 0x9E37_79B9_7F4A_7C15
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    private func enqueue(_ records: some Collection<DecisionRecord>) {
        guard storage != nil else { return }
        guard pausedUntil.load(ordering: .relaxed) == 0 else {
            dropped.add(records.count, ordering: .relaxed)
            return
        }
        let capacity = configuration.queueCapacity
        let refused = queue.withLock { queue in
            let room = max(0, capacity - queue.count)
            queue.append(contentsOf: records.prefix(room))
            return records.count - min(room, records.count)
        }
        if refused > 0 { dropped.add(refused, ordering: .relaxed) }
    }

    // MARK: Writing (the background)

    /// Writes everything queued in one transaction, returning how many entries were written. A failed write drops the
    /// batch (counted) and pauses logging for `pauseMilliseconds`; the error is rethrown for the writer to report.
    /// Flushes run one at a time: a flush waits for one in progress, whose batch may hold answers its caller gave.
    @discardableResult
    public func flush() throws -> Int {
        guard let storage else { return 0 }
        return try flushing.withLock { _ in
            resumeIfDue()
            let batch = queue.withLock { queue in
                defer { queue.removeAll(keepingCapacity: true) }
                return queue
            }
            guard !batch.isEmpty else { return 0 }
            do {
                try storage.insert(batch)
            } catch {
                dropped.add(batch.count, ordering: .relaxed)
                pausedUntil.store(max(1, clock.milliseconds() + configuration.pauseMilliseconds), ordering: .relaxed)
                throw error
            }
            written.add(batch.count, ordering: .relaxed)
            return batch.count
        }
    }

    private func resumeIfDue() {
        let until = pausedUntil.load(ordering: .relaxed)
        if until != 0 && clock.milliseconds() >= until { pausedUntil.store(0, ordering: .relaxed) }
    }

    /// Deletes entries older than `retentionDays`, then, in the SQLite file, the oldest beyond `maxBytes`. Returns how
    /// many went; on PostgreSQL 0 while another node is sweeping (`PostgresDecisionLog.retentionLockKey`).
    @discardableResult
    public func sweep() throws -> Int {
        guard let storage else { return 0 }
        let horizon = clock.milliseconds() - Int64(configuration.retentionDays) * 86_400_000
        return try storage.sweep(before: DecisionID.firstKey(atOrAfter: horizon), maxBytes: configuration.maxBytes)
    }

    /// The log's counters, for `/metrics` and the dashboard.
    public var report: DecisionLogReport {
        DecisionLogReport(mode: configuration.mode.rawValue, written: written.load(ordering: .relaxed), dropped: dropped.load(ordering: .relaxed),
                          queued: queue.withLock { $0.count }, paused: pausedUntil.load(ordering: .relaxed) != 0)
    }
}

/// The decision log's counters.
public struct DecisionLogReport: Sendable, Equatable {
    /// `audit.decisions`.
    public var mode: String
    /// Entries written to the log since start (`portcullis_audit_decisions_total`).
    public var written: Int
    /// Entries dropped since start: queue full, paused after a failed write, or in a batch that failed
    /// (`portcullis_audit_dropped_total`).
    public var dropped: Int
    /// Entries waiting for the writer.
    public var queued: Int
    /// Whether logging is paused after a failed write.
    public var paused: Bool
}
