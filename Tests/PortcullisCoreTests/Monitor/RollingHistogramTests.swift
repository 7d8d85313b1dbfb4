import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

@Suite("Rolling latency windows")
struct RollingHistogramTests {
    @Test("samples count in the window and age out of it as the clock moves")
    func window() {
        let time = ManualClock()
        let monitor = PerformanceMonitor(clock: time.clock, routeClassNames: ["normal"])
        for _ in 0..<10 { monitor.record(.authorization, nanoseconds: 2_000_000) }
        monitor.record(.authorization, nanoseconds: 40_000_000)
        let window = monitor.window(.authorization)
        #expect(window.count == 11)
        #expect(abs(window.p50Milliseconds - 2) < 0.05)
        #expect(abs(window.maxMilliseconds - 40) < 0.5)
        #expect(window.windowSeconds == 300)

        time.advance(seconds: 200)
        monitor.record(.authorization, nanoseconds: 1_000_000)
        #expect(monitor.window(.authorization).count == 12, "still inside five minutes")
        time.advance(seconds: 150)
        #expect(monitor.window(.authorization).count == 1, "the first samples are older than the window now")
        time.advance(seconds: 301)
        #expect(monitor.window(.authorization).count == 0)
    }

    @Test("completed buckets: oldest first, empty ones with count 0, the current bucket left out")
    func buckets() {
        let time = ManualClock(milliseconds: 1_700_000_010_000)
        let histogram = RollingHistogram(bucketSeconds: 30, windowBuckets: 10)
        histogram.record(nanoseconds: 5_000_000, now: time.clock.milliseconds())
        time.advance(seconds: 30)
        histogram.record(nanoseconds: 7_000_000, now: time.clock.milliseconds())
        let buckets = histogram.completedBuckets(now: time.clock.milliseconds())
        #expect(buckets.count == 10)
        #expect(buckets.map(\.count) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(abs(buckets[9].p99Milliseconds - 5) < 0.1)
    }

    @Test("throughput is taken over the time the monitor has been up, at most the window")
    func throughput() {
        let time = ManualClock()
        let monitor = PerformanceMonitor(clock: time.clock, routeClassNames: ["normal"])
        time.advance(seconds: 10)
        for _ in 0..<100 { monitor.recordRequest(routeClass: 0, status: 200, nanoseconds: 1000) }
        #expect(monitor.window(.apiEndpoint).perSecond == 10)
        #expect(monitor.window(routeClass: "normal")?.count == 100)
        #expect(monitor.snapshot().responses["2xx"] == 100)
    }
}
