import Testing

@testable import PortcullisCore

@Suite("Cumulative latency: the fixed buckets /metrics exposes as a Prometheus histogram")
struct CumulativeLatencyTests {
    @Test("bounds climb from 10 µs to 10 s, strictly")
    func bounds() {
        let bounds = CumulativeLatency.upperBoundsNanoseconds
        #expect(bounds.first == 10_000 && bounds.last == 10_000_000_000)
        #expect(zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test("a sample falls in the first bucket whose bound it does not exceed (le: at or below)", arguments: [
        (Int64(1), 0), (10_000, 0), (10_001, 1), (25_000, 1), (999_999, 6), (1_000_000, 6), (1_000_001, 7),
        (10_000_000_000, 18), (10_000_000_001, 19), (60_000_000_000, 19),
    ])
    func placement(nanoseconds: Int64, bucket: Int) {
        var latency = CumulativeLatency()
        latency.record(nanoseconds: nanoseconds)
        #expect(latency.counts.count == CumulativeLatency.upperBoundsNanoseconds.count + 1)
        #expect(latency.counts.firstIndex(of: 1) == bucket)
        #expect(latency.count == 1 && latency.sumNanoseconds == UInt64(nanoseconds))
    }

    @Test("cumulative counts never fall and end at the total")
    func cumulative() {
        var latency = CumulativeLatency()
        for nanoseconds: Int64 in [5_000, 5_000, 40_000, 2_000_000, 3_000_000_000, 90_000_000_000] { latency.record(nanoseconds: nanoseconds) }
        let cumulative = latency.cumulativeCounts
        #expect(zip(cumulative, cumulative.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(cumulative.last == 6 && latency.count == 6)
        #expect(cumulative[0] == 2, "two samples at or below 10 µs")
        #expect(cumulative[2] == 3, "three at or below 50 µs")
        #expect(cumulative[18] == 5, "the 90 s sample only in +Inf")
    }

    @Test("the monitor's totals outlive its rolling window")
    func outlivesWindow() {
        let time = ManualClock()
        let monitor = PerformanceMonitor(clock: time.clock, routeClassNames: ["normal", "fast"])
        for _ in 0..<4 { monitor.record(.authorization, nanoseconds: 20_000) }
        monitor.recordRequest(routeClass: 1, status: 200, nanoseconds: 3_000_000, endpoint: .mediaURL)
        time.advance(seconds: 700)
        monitor.record(.authorization, nanoseconds: 700_000)
        #expect(monitor.window(.authorization).count == 1, "the first four left the window")
        let totals = monitor.cumulative(.authorization)
        #expect(totals.count == 5)
        #expect(totals.sumNanoseconds == 4 * 20_000 + 700_000)
        #expect(totals.counts[1] == 4 && totals.counts[6] == 1)
        #expect(monitor.cumulative(routeClass: "fast")?.count == 1 && monitor.cumulative(routeClass: "normal")?.count == 0)
        #expect(monitor.cumulative(routeClass: "missing") == nil)
        #expect(monitor.cumulative(endpoint: .mediaURL).count == 1 && monitor.cumulative(endpoint: .generationAccess).count == 0)
        #expect(monitor.cumulative(.apiEndpoint).count == 1)
    }
}
