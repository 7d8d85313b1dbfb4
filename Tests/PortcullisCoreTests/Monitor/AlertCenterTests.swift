import Logging
import Synchronization
import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

/// A log handler that keeps every message, to check each alert is logged once when raised and once when cleared.
final class CapturedLog: Sendable {
    let messages = Mutex<[(level: Logger.Level, message: String)]>([])

    var logger: Logger {
        Logger(label: "alerts-test") { _ in Handler(log: self) }
    }

    func count(containing text: String) -> Int { messages.withLock { $0.filter { $0.message.contains(text) }.count } }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            log.messages.withLock { $0.append((event.level, event.message.description)) }
        }
    }
}

@Suite("Alerts: SPEC section 5 rules, raised and cleared once, with a clock the test moves")
struct AlertCenterTests {
    struct Rig {
        let time = ManualClock(milliseconds: 1_700_000_000_000)
        let log = CapturedLog()
        let monitor: PerformanceMonitor
        let alerts: AlertCenter

        init(thresholds: AlertThresholds = AlertThresholds()) {
            monitor = PerformanceMonitor(clock: time.clock, routeClassNames: ["normal"])
            alerts = AlertCenter(thresholds: thresholds, clock: time.clock, logger: log.logger, historyLimit: 3)
        }

        /// The inputs `Instruments` would gather, from this monitor.
        func inputs(cache: (Double, Int)? = nil, cpu: Double? = nil, memory: Double? = nil, breakers: [String: String] = [:]) -> AlertInputs {
            let window = monitor.window(.authorization)
            return AlertInputs(
                authorizationP99Milliseconds: window.count > 0 ? window.p99Milliseconds : nil,
                authorizationBucketP99Milliseconds: monitor.completedBuckets(.authorization).map { $0.count > 0 ? $0.p99Milliseconds : nil },
                bucketSeconds: Int(monitor.bucketSeconds), cacheHitRate: cache.map { (rate: $0.0, lookups: $0.1) }, cpuPercent: cpu,
                memoryPercent: memory, breakers: breakers)
        }
    }

    @Test("critical when the authorization P99 exceeds 200 ms; cleared when slow samples leave the window")
    func critical() {
        let rig = Rig()
        for _ in 0..<100 { rig.monitor.record(.authorization, nanoseconds: 1_000_000) }
        #expect(rig.alerts.evaluate(rig.inputs()).isEmpty)
        for _ in 0..<5 { rig.monitor.record(.authorization, nanoseconds: 250_000_000) }
        let active = rig.alerts.evaluate(rig.inputs())
        #expect(active.map(\.id) == ["authorization_p99_critical"])
        #expect(active.first?.severity == .critical)
        #expect((active.first?.value ?? 0) > 200)
        // Evaluating again while it still holds raises nothing new.
        rig.alerts.evaluate(rig.inputs())
        #expect(rig.log.count(containing: "alert raised") == 1)

        rig.time.advance(seconds: 330)
        #expect(rig.alerts.evaluate(rig.inputs()).isEmpty)
        #expect(rig.alerts.history.map(\.id) == ["authorization_p99_critical"])
        #expect(rig.alerts.history.first?.clearedAt != nil)
        rig.alerts.evaluate(rig.inputs())
        #expect(rig.log.count(containing: "alert cleared") == 1)
    }

    @Test("warning only when the P99 stays above 150 ms for five minutes, every bucket of it")
    func sustained() {
        let rig = Rig()
        // 160 ms in every 30-second bucket, for four and a half minutes: not yet five.
        for _ in 0..<9 {
            for _ in 0..<20 { rig.monitor.record(.authorization, nanoseconds: 160_000_000) }
            rig.time.advance(seconds: 30)
        }
        #expect(rig.alerts.evaluate(rig.inputs()).isEmpty)
        for _ in 0..<20 { rig.monitor.record(.authorization, nanoseconds: 160_000_000) }
        rig.time.advance(seconds: 30)
        let active = rig.alerts.evaluate(rig.inputs())
        #expect(active.map(\.id) == ["authorization_p99_sustained"])
        #expect(active.first?.severity == .warning)

        // One quiet bucket breaks "sustained": the alert clears.
        rig.time.advance(seconds: 30)
        #expect(rig.alerts.evaluate(rig.inputs()).isEmpty)
        #expect(rig.log.count(containing: "alert cleared: authorization_p99_sustained") == 1)
    }

    @Test("a short burst of slow checks is not sustained")
    func burstIsNotSustained() {
        let rig = Rig()
        for index in 0..<10 {
            for _ in 0..<20 { rig.monitor.record(.authorization, nanoseconds: index == 4 ? 160_000_000 : 2_000_000) }
            rig.time.advance(seconds: 30)
        }
        #expect(rig.alerts.evaluate(rig.inputs()).isEmpty)
    }

    @Test("info below 85 % cache hits (with enough lookups); system alerts for CPU, memory and breakers")
    func cacheAndSystem() {
        let rig = Rig()
        #expect(rig.alerts.evaluate(rig.inputs(cache: (0.5, 10))).isEmpty, "too few lookups to judge")
        var active = rig.alerts.evaluate(rig.inputs(cache: (0.80, 1000), cpu: 93, memory: 90, breakers: ["l2": "open", "l3": "closed"]))
        #expect(active.map(\.id) == ["breaker_open:l2", "cache_hit_rate_low", "cpu_high", "memory_high"])
        #expect(active.first { $0.id == "cache_hit_rate_low" }?.severity == .info)
        #expect(active.filter { $0.category == "system" }.count == 3)
        active = rig.alerts.evaluate(rig.inputs(cache: (0.97, 1000), cpu: 10, memory: 5, breakers: ["l2": "closed", "l3": "closed"]))
        #expect(active.isEmpty)
        #expect(rig.alerts.history.count == 3, "the history is bounded")
    }

    @Test("thresholds come from configuration")
    func configuredThresholds() {
        var thresholds = AlertThresholds()
        thresholds.authorizationP99CriticalMilliseconds = 5
        thresholds.cpuPercent = 50
        let rig = Rig(thresholds: thresholds)
        for _ in 0..<10 { rig.monitor.record(.authorization, nanoseconds: 10_000_000) }
        #expect(rig.alerts.evaluate(rig.inputs(cpu: 60)).map(\.id) == ["authorization_p99_critical", "cpu_high"])
    }
}
