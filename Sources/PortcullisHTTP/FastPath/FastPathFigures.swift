import Synchronization

/// How many check requests the fast path answered on the event loop and how many it passed on to the full path
/// (an identity or decision not in L1, an error, a user token's denial): on the dashboard and in `/metrics`.
final class FastPathFigures: Sendable {
    private let answeredCount = Atomic<Int>(0)
    private let passedOnCount = Atomic<Int>(0)

    func answered() { answeredCount.add(1, ordering: .relaxed) }
    func passedOn() { passedOnCount.add(1, ordering: .relaxed) }

    struct Report: Sendable, Codable, Equatable {
        var answered: Int
        var passedOn: Int
        enum CodingKeys: String, CodingKey { case answered, passedOn = "passed_on" }
    }

    var report: Report { Report(answered: answeredCount.load(ordering: .relaxed), passedOn: passedOnCount.load(ordering: .relaxed)) }
}
