import PortcullisModel
import Synchronization

/// Hit and miss counts and lookup latency of one layer.
final class LayerStatistics: Sendable {
    let hits = Atomic<Int>(0)
    let misses = Atomic<Int>(0)
    let latency = LatencyHistogram()

    func hit(nanoseconds: Int64) {
        hits.add(1, ordering: .relaxed)
        if nanoseconds > 0 { latency.record(nanoseconds: nanoseconds) }
    }

    func miss(nanoseconds: Int64) {
        misses.add(1, ordering: .relaxed)
        if nanoseconds > 0 { latency.record(nanoseconds: nanoseconds) }
    }
}
