import PortcullisModel
import PortcullisSQLite
import PortcullisCache
import PortcullisStore
import Synchronization

/// The operations the monitor times (SPEC section 5).
public enum MonitoredOperation: String, Sendable, CaseIterable, Codable {
    /// One decision (`check`, or one batch), cached or evaluated.
    case authorization
    /// Resolving a bearer credential, and verifying a password at sign-in.
    case authentication
    /// One read transaction on the decision path (a snapshot, or a single statement).
    case databaseQuery = "database_query"
    /// One decision-cache lookup across its layers.
    case cacheOperation = "cache_operation"
    /// One HTTP request, from the outermost middleware in to its response out.
    case apiEndpoint = "api_endpoint"
}

/// Endpoints the SPEC section 6 targets name on their own.
public enum MonitoredEndpoint: String, Sendable, CaseIterable, Codable {
    /// `GET /api/v1/generations/{id}` requests, whole (SPEC section 6 targets a P99 of 100 ms).
    case generationAccess = "generation_access"
    /// `GET /api/v1/generations/{id}/media-url` requests, whole (SPEC section 6 targets a P99 of 200 ms).
    case mediaURL = "media_url"
}

/// Latency of every operation, route class and named endpoint over rolling five-minute windows, with request counts
/// by status. Cheap enough to leave on: a sample costs a lock and an increment (see `RollingHistogram`).
///
/// ```swift
/// let start = monotonicNanoseconds()
/// let decision = try engine.check(request)
/// monitor?.record(.authorization, nanoseconds: monotonicNanoseconds() - start)
/// ```
public final class PerformanceMonitor: Sendable {
    /// The clock buckets and rates are read from (milliseconds).
    public let clock: WallClock
    /// When the monitor began (clock milliseconds).
    public let startedAt: Int64
    /// Names of the route classes, in the order `record(routeClass:...)` indexes them.
    public let routeClassNames: [String]
    let operations: [RollingHistogram]
    let routeClasses: [RollingHistogram]
    let endpoints: [RollingHistogram]
    let responses = ResponseCounts()
    private let cacheSamples = Mutex<[(at: Int64, lookups: Int, misses: Int)]>([])

    /// A monitor with one series per operation, per route class and per endpoint.
    /// - Parameters:
    ///   - routeClassNames: the route classes, in the order `recordRequest(routeClass:status:nanoseconds:endpoint:)` indexes them.
    ///   - bucketSeconds: width of a bucket, in seconds (30).
    ///   - windowBuckets: buckets per window (10: five minutes).
    public init(clock: WallClock = .system, routeClassNames: [String], bucketSeconds: Int64 = 30, windowBuckets: Int = 10) {
        self.clock = clock
        self.routeClassNames = routeClassNames
        startedAt = clock.milliseconds()
        operations = MonitoredOperation.allCases.map { _ in RollingHistogram(bucketSeconds: bucketSeconds, windowBuckets: windowBuckets) }
        routeClasses = routeClassNames.map { _ in RollingHistogram(bucketSeconds: bucketSeconds, windowBuckets: windowBuckets) }
        endpoints = MonitoredEndpoint.allCases.map { _ in RollingHistogram(bucketSeconds: bucketSeconds, windowBuckets: windowBuckets) }
    }

    /// The window's length, in seconds.
    public var windowSeconds: Int { Int(operations[0].bucketSeconds) * operations[0].windowBuckets }
    /// One bucket's width, in seconds.
    public var bucketSeconds: Int64 { operations[0].bucketSeconds }

    /// Records one sample of `operation`, a duration in **nanoseconds** (from `monotonicNanoseconds()`).
    @inline(__always)
    public func record(_ operation: MonitoredOperation, nanoseconds: Int64) {
        operations[operation.index].record(nanoseconds: nanoseconds, now: clock.milliseconds())
    }

    /// One HTTP request: its route class (an index into `routeClassNames`), status and duration, and the endpoint
    /// series it belongs to, if any.
    @inline(__always)
    public func recordRequest(routeClass: Int, status: Int, nanoseconds: Int64, endpoint: MonitoredEndpoint? = nil) {
        let now = clock.milliseconds()
        operations[MonitoredOperation.apiEndpoint.index].record(nanoseconds: nanoseconds, now: now)
        routeClasses[routeClass].record(nanoseconds: nanoseconds, now: now)
        if let endpoint { endpoints[endpoint.index].record(nanoseconds: nanoseconds, now: now) }
        responses.count(status)
    }

    // MARK: Reading

    /// An operation's figures over the window.
    public func window(_ operation: MonitoredOperation) -> LatencyWindow {
        operations[operation.index].window(now: clock.milliseconds(), since: startedAt)
    }

    /// A named endpoint's figures over the window.
    public func window(endpoint: MonitoredEndpoint) -> LatencyWindow {
        endpoints[endpoint.index].window(now: clock.milliseconds(), since: startedAt)
    }

    /// A route class's figures over the window; nil for a name the monitor was not given.
    public func window(routeClass name: String) -> LatencyWindow? {
        routeClassNames.firstIndex(of: name).map { routeClasses[$0].window(now: clock.milliseconds(), since: startedAt) }
    }

    /// The completed buckets of an operation's window, oldest first (for "sustained" rules and peak rates).
    public func completedBuckets(_ operation: MonitoredOperation) -> [LatencyWindow] {
        operations[operation.index].completedBuckets(now: clock.milliseconds())
    }

    /// An operation's samples since start, in the fixed buckets `/metrics` exposes as a histogram.
    public func cumulative(_ operation: MonitoredOperation) -> CumulativeLatency {
        operations[operation.index].cumulative()
    }

    /// A named endpoint's samples since start.
    public func cumulative(endpoint: MonitoredEndpoint) -> CumulativeLatency {
        endpoints[endpoint.index].cumulative()
    }

    /// A route class's samples since start; nil for a name the monitor was not given.
    public func cumulative(routeClass name: String) -> CumulativeLatency? {
        routeClassNames.firstIndex(of: name).map { routeClasses[$0].cumulative() }
    }

    /// Every series of the window: by operation, by route class, by named endpoint.
    public func snapshot() -> Snapshot {
        Snapshot(
            windowSeconds: windowSeconds, uptimeSeconds: uptimeSeconds,
            operations: Dictionary(uniqueKeysWithValues: MonitoredOperation.allCases.map { ($0.rawValue, window($0)) }),
            routeClasses: Dictionary(uniqueKeysWithValues: routeClassNames.map { ($0, window(routeClass: $0)!) }),
            endpoints: Dictionary(uniqueKeysWithValues: MonitoredEndpoint.allCases.map { ($0.rawValue, window(endpoint: $0)) }),
            responses: responses.totals)
    }

    /// Responses since start by status class (`2xx`, `3xx`, `4xx`, `5xx`, and `503` on its own), without the windows.
    public var responseTotals: [String: Int] { responses.totals }

    /// Seconds since the monitor began.
    public var uptimeSeconds: Double { Double(clock.milliseconds() - startedAt) / 1000 }

    /// Every series at once, as `GET /api/v1/performance` shows them.
    public struct Snapshot: Sendable, Codable {
        /// The window's length, in seconds.
        public var windowSeconds: Int
        /// Seconds since the monitor began.
        public var uptimeSeconds: Double
        /// By `MonitoredOperation` raw value.
        public var operations: [String: LatencyWindow]
        /// By route class name.
        public var routeClasses: [String: LatencyWindow]
        /// By `MonitoredEndpoint` raw value.
        public var endpoints: [String: LatencyWindow]
        /// Responses since start by status class (`2xx`, `3xx`, `4xx`, `5xx`, and `503` on its own).
        public var responses: [String: Int]

        enum CodingKeys: String, CodingKey {
            case windowSeconds = "window_seconds", uptimeSeconds = "uptime_seconds", operations, routeClasses = "route_classes", endpoints
            case responses
        }
    }

    // MARK: Cache hit rate over the window

    /// Records the decision cache's running totals; `cacheHitRate()` takes the difference across the window.
    public func observeCache(lookups: Int, misses: Int) {
        let now = clock.milliseconds()
        let horizon = now - Int64(windowSeconds) * 1000
        cacheSamples.withLock { samples in
            samples.append((now, lookups, misses))
            // Keep one sample at or before the horizon as the window's baseline.
            while samples.count > 2, samples[1].at <= horizon { samples.removeFirst() }
        }
    }

    /// Hits over lookups across the window (from the oldest retained sample to the newest), with the lookup count;
    /// nil before two samples exist.
    public func cacheHitRate() -> (rate: Double, lookups: Int)? {
        cacheSamples.withLock { samples in
            guard let first = samples.first, let last = samples.last, samples.count >= 2 else { return nil }
            let lookups = last.lookups - first.lookups
            let misses = last.misses - first.misses
            return (lookups > 0 ? Double(lookups - misses) / Double(lookups) : 0, lookups)
        }
    }
}

/// Response counts by status class, as atomics (one relaxed add per response).
final class ResponseCounts: Sendable {
    private let success = Atomic<Int>(0)
    private let redirect = Atomic<Int>(0)
    private let clientError = Atomic<Int>(0)
    private let serverError = Atomic<Int>(0)
    private let overloaded = Atomic<Int>(0)

    @inline(__always)
    func count(_ status: Int) {
        switch status {
        case ..<300: success.add(1, ordering: .relaxed)
        case ..<400: redirect.add(1, ordering: .relaxed)
        case ..<500: clientError.add(1, ordering: .relaxed)
        default:
            serverError.add(1, ordering: .relaxed)
            if status == 503 { overloaded.add(1, ordering: .relaxed) }
        }
    }

    var totals: [String: Int] {
        ["2xx": success.load(ordering: .relaxed), "3xx": redirect.load(ordering: .relaxed), "4xx": clientError.load(ordering: .relaxed),
         "5xx": serverError.load(ordering: .relaxed), "503": overloaded.load(ordering: .relaxed)]
    }
}

extension MonitoredOperation {
    @inline(__always)
    var index: Int {
        switch self {
        case .authorization: 0
        case .authentication: 1
        case .databaseQuery: 2
        case .cacheOperation: 3
        case .apiEndpoint: 4
        }
    }
}

extension MonitoredEndpoint {
    @inline(__always)
    var index: Int {
        switch self {
        case .generationAccess: 0
        case .mediaURL: 1
        }
    }
}
