import PortcullisModel
import PortcullisSQLite
import PortcullisCache
import PortcullisStore
import Logging
import Synchronization

/// Alert thresholds (SPEC section 5), all configurable.
public struct AlertThresholds: Sendable, Codable, Equatable {
    /// Critical when the authorization P99 over the window exceeds this.
    public var authorizationP99CriticalMilliseconds = 200.0
    /// Warning when the authorization P99 exceeds this in every completed bucket of `sustainSeconds`.
    public var authorizationP99WarningMilliseconds = 150.0
    /// How long, in seconds, the warning P99 must hold, rounded up to whole buckets; beyond the monitor's window it never can.
    public var sustainSeconds = 300
    /// Info when the decision cache's hit rate over the window falls below this (with at least `cacheMinimumLookups`).
    public var cacheHitRatePercent = 85.0
    /// Lookups the window must hold before a low hit rate alerts (a quiet server is not a cold cache).
    public var cacheMinimumLookups = 100
    /// Warning when the process's CPU, as a percentage of all cores, exceeds this.
    public var cpuPercent = 80.0
    /// Warning when the process's resident memory, as a percentage of the machine's, exceeds this.
    public var memoryPercent = 85.0

    /// The SPEC section 5 defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case authorizationP99CriticalMilliseconds = "authorization_p99_critical_ms", authorizationP99WarningMilliseconds = "authorization_p99_warning_ms"
        case sustainSeconds = "sustain_seconds", cacheHitRatePercent = "cache_hit_rate_percent", cacheMinimumLookups = "cache_minimum_lookups"
        case cpuPercent = "cpu_percent", memoryPercent = "memory_percent"
    }
}

/// One alert: raised when its rule starts to hold, cleared when it stops.
public struct Alert: Sendable, Codable, Equatable {
    /// How urgent: `critical` (authorization P99 over its limit), `warning` (sustained P99, CPU, memory, an open breaker)
    /// or `info` (a low cache hit rate); the log level of the raise matches.
    public enum Severity: String, Sendable, Codable { case critical, warning, info }

    /// The rule's id, e.g. `authorization_p99_critical` or `breaker_open:l2`.
    public var id: String
    /// How urgent the alert is.
    public var severity: Severity
    /// `performance`, `cache` or `system`.
    public var category: String
    /// A sentence for people, with the value that fired it.
    public var message: String
    /// The measured value, updated at each evaluation while the alert fires (two decimals; 1 for a breaker).
    public var value: Double
    /// The threshold it crossed.
    public var threshold: Double
    /// When the alert was raised (RFC 3339 UTC).
    public var raisedAt: String
    /// When it cleared; nil while active.
    public var clearedAt: String?

    enum CodingKeys: String, CodingKey {
        case id, severity, category, message, value, threshold, raisedAt = "raised_at", clearedAt = "cleared_at"
    }
}

/// What the rules look at, gathered from the monitor, the cache and the system sampler.
public struct AlertInputs: Sendable {
    /// Authorization P99 over the window; nil without samples.
    public var authorizationP99Milliseconds: Double?
    /// Authorization P99 of each completed bucket, oldest first; nil for a bucket without samples.
    public var authorizationBucketP99Milliseconds: [Double?]
    /// The width of one bucket, in seconds (to turn `sustainSeconds` into a bucket count).
    public var bucketSeconds: Int
    /// Hit rate (0...1) and lookups over the window.
    public var cacheHitRate: (rate: Double, lookups: Int)?
    /// The process's CPU over the last sampling interval, percent of all cores; nil before a rate exists.
    public var cpuPercent: Double?
    /// The process's resident memory, percent of the machine's; nil where /proc cannot tell.
    public var memoryPercent: Double?
    /// Breaker name → state (`closed`, `open`, `half_open`).
    public var breakers: [String: String]

    /// Inputs as `Instruments` gathers them, or as a test states them.
    public init(authorizationP99Milliseconds: Double? = nil, authorizationBucketP99Milliseconds: [Double?] = [], bucketSeconds: Int = 30,
                cacheHitRate: (rate: Double, lookups: Int)? = nil, cpuPercent: Double? = nil, memoryPercent: Double? = nil,
                breakers: [String: String] = [:]) {
        self.authorizationP99Milliseconds = authorizationP99Milliseconds
        self.authorizationBucketP99Milliseconds = authorizationBucketP99Milliseconds
        self.bucketSeconds = bucketSeconds
        self.cacheHitRate = cacheHitRate
        self.cpuPercent = cpuPercent
        self.memoryPercent = memoryPercent
        self.breakers = breakers
    }
}

/// Evaluates the alert rules, keeps the active alerts and a bounded history of cleared ones, and logs each alert
/// once when it is raised and once when it clears.
public final class AlertCenter: Sendable {
    /// The thresholds the rules compare against.
    public let thresholds: AlertThresholds
    /// Cleared alerts kept, newest last; older ones are forgotten.
    public let historyLimit: Int
    let clock: WallClock
    let logger: Logger
    private let state = Mutex<(active: [String: Alert], history: [Alert])>(([:], []))

    /// An alert center with no alert yet; `clock` stamps raise and clear times.
    ///
    /// ```swift
    /// let alerts = AlertCenter(logger: logger)
    /// let active = alerts.evaluate(AlertInputs(authorizationP99Milliseconds: 250))  // [authorization_p99_critical]
    /// ```
    public init(thresholds: AlertThresholds = AlertThresholds(), clock: WallClock = .system, logger: Logger, historyLimit: Int = 100) {
        self.thresholds = thresholds
        self.clock = clock
        self.logger = logger
        self.historyLimit = historyLimit
    }

    /// Applies the rules to `inputs`; returns the active alerts afterwards.
    @discardableResult
    public func evaluate(_ inputs: AlertInputs) -> [Alert] {
        let firing = Self.rules(inputs, thresholds)
        let now = Timestamp.format(epochMilliseconds: clock.milliseconds())
        var raised: [Alert] = [], cleared: [Alert] = []
        let active: [Alert] = state.withLock { state in
            for (id, candidate) in firing where state.active[id] == nil {
                var alert = candidate
                alert.raisedAt = now
                state.active[id] = alert
                raised.append(alert)
            }
            for (id, alert) in state.active where firing[id] == nil {
                var done = alert
                done.clearedAt = now
                state.active[id] = nil
                state.history.append(done)
                cleared.append(done)
            }
            if state.history.count > historyLimit { state.history.removeFirst(state.history.count - historyLimit) }
            // The figures of a firing alert follow the latest evaluation; its raise time stays.
            for (id, candidate) in firing { state.active[id]?.value = candidate.value }
            return state.active.values.sorted { $0.id < $1.id }
        }
        for alert in raised {
            logger.log(level: Self.level(alert.severity), "alert raised: \(alert.message)", metadata: [
                "alert": "\(alert.id)", "severity": "\(alert.severity.rawValue)", "value": "\(alert.value)", "threshold": "\(alert.threshold)",
            ])
        }
        for alert in cleared {
            logger.notice("alert cleared: \(alert.id)", metadata: ["alert": "\(alert.id)", "severity": "\(alert.severity.rawValue)"])
        }
        return active
    }

    /// The alerts firing now, by id.
    public var active: [Alert] { state.withLock { $0.active.values.sorted { $0.id < $1.id } } }

    /// Cleared alerts, oldest first, at most `historyLimit`.
    public var history: [Alert] { state.withLock { $0.history } }

    static func level(_ severity: Alert.Severity) -> Logger.Level {
        switch severity {
        case .critical: .critical
        case .warning: .warning
        case .info: .info
        }
    }

    /// The alerts whose rule holds, by id (raise times unset).
    static func rules(_ inputs: AlertInputs, _ thresholds: AlertThresholds) -> [String: Alert] {
        var firing: [String: Alert] = [:]
        func fire(_ id: String, _ severity: Alert.Severity, _ category: String, _ value: Double, _ threshold: Double, _ message: String) {
            firing[id] = Alert(id: id, severity: severity, category: category, message: message, value: (value * 100).rounded() / 100,
                               threshold: threshold, raisedAt: "", clearedAt: nil)
        }
        if let p99 = inputs.authorizationP99Milliseconds, p99 > thresholds.authorizationP99CriticalMilliseconds {
            fire("authorization_p99_critical", .critical, "performance", p99, thresholds.authorizationP99CriticalMilliseconds,
                 "authorization P99 is \(p99) ms, above \(thresholds.authorizationP99CriticalMilliseconds) ms")
        }
        // Sustained: every completed bucket covering `sustainSeconds` had samples and a P99 above the threshold.
        let needed = max(1, (thresholds.sustainSeconds + inputs.bucketSeconds - 1) / inputs.bucketSeconds)
        let recent = inputs.authorizationBucketP99Milliseconds.suffix(needed)
        if recent.count == needed, recent.allSatisfy({ ($0 ?? 0) > thresholds.authorizationP99WarningMilliseconds }) {
            let lowest = recent.compactMap { $0 }.min() ?? 0
            fire("authorization_p99_sustained", .warning, "performance", lowest, thresholds.authorizationP99WarningMilliseconds,
                 "authorization P99 has stayed above \(thresholds.authorizationP99WarningMilliseconds) ms for \(thresholds.sustainSeconds) s")
        }
        if let cache = inputs.cacheHitRate, cache.lookups >= thresholds.cacheMinimumLookups, cache.rate * 100 < thresholds.cacheHitRatePercent {
            fire("cache_hit_rate_low", .info, "cache", cache.rate * 100, thresholds.cacheHitRatePercent,
                 "decision cache hit rate is \((cache.rate * 1000).rounded() / 10) %, below \(thresholds.cacheHitRatePercent) %")
        }
        if let cpu = inputs.cpuPercent, cpu > thresholds.cpuPercent {
            fire("cpu_high", .warning, "system", cpu, thresholds.cpuPercent, "process CPU is \(cpu) %, above \(thresholds.cpuPercent) %")
        }
        if let memory = inputs.memoryPercent, memory > thresholds.memoryPercent {
            fire("memory_high", .warning, "system", memory, thresholds.memoryPercent,
                 "resident memory is \(memory) % of the machine's, above \(thresholds.memoryPercent) %")
        }
        for (name, state) in inputs.breakers where state != "closed" {
            fire("breaker_open:\(name)", .warning, "system", 1, 0, "the \(name) circuit breaker is \(state)")
        }
        return firing
    }
}
