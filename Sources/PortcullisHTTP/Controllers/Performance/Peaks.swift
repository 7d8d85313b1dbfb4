import Synchronization

/// Peaks the validate endpoint judges capacity targets by.
final class Peaks: Sendable {
    private let peakSockets = Atomic<Int>(0)

    func observe(sockets: Int) {
        var current = peakSockets.load(ordering: .relaxed)
        while sockets > current {
            let (exchanged, original) = peakSockets.compareExchange(expected: current, desired: sockets, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    var sockets: Int { peakSockets.load(ordering: .relaxed) }
}
