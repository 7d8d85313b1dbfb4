import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis bench-decisions`: in-process timing of uncached decisions on a seeded data directory.
struct BenchDecisions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-decisions",
        abstract: "Time uncached authorization decisions in-process (uniform over seeded users and generations).")

    @Option(name: .customLong("data-dir"), help: "A data directory filled by `portcullis seed` + `import`.") var dataDir = "./data"
    @Option(help: "Users in the seeded dataset.") var users = 100_000
    @Option(help: "Generations in the seeded dataset.") var generations = 1_000_000
    @Option(help: "Decisions to time.") var samples = 200_000

    func run() throws {
        let store = try SQLiteStore(StoreConfiguration(path: dataDir + "/portcullis.sqlite"))
        let engine = AuthorizationEngine(store: store)
        var random = SplitMix64(seed: 7)
        let actions: [Action] = [.read, .update, .delete, .download]
        let requests = (0..<samples).map { _ in
            CheckRequest(userId: SeedDataset.userId(Int(random.next() % UInt64(users))), action: actions[Int(random.next() % 4)],
                         resourceType: .generation, resourceId: SeedDataset.generationId(Int(random.next() % UInt64(generations))))
        }
        // Warm the page cache and statement caches, then time each decision on its own.
        for request in requests.prefix(20_000) { _ = try engine.check(request) }
        var nanoseconds: [Int64] = []
        nanoseconds.reserveCapacity(samples)
        var allowed = 0
        let clock = ContinuousClock()
        for request in requests {
            let start = clock.now
            let decision = try engine.check(request)
            let elapsed = clock.now - start
            nanoseconds.append(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
            if decision.allowed { allowed += 1 }
        }
        nanoseconds.sort()
        func percentile(_ p: Double) -> String {
            String(format: "%.1f", Double(nanoseconds[min(nanoseconds.count - 1, Int(Double(nanoseconds.count) * p))]) / 1000)
        }
        print("uncached decisions: \(samples) samples, \(allowed) allowed")
        print("p50 \(percentile(0.50)) µs  p90 \(percentile(0.90)) µs  p99 \(percentile(0.99)) µs  p99.9 \(percentile(0.999)) µs  max \(percentile(1.0)) µs")
    }
}
