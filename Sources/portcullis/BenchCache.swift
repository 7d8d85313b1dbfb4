import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis bench-cache`: in-process figures of the decision cache on a seeded data directory —
/// L1 hit latency, hot-workload hit rate, and warm versus cold restarts.
struct BenchCache: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-cache",
        abstract: "Measure the decision cache in-process: L1 hit latency, hot hit rate, warm vs cold restart.")

    @Option(name: .customLong("data-dir"), help: "A data directory filled by `portcullis seed` + `import`.") var dataDir = "./data"
    @Option(help: "Users in the seeded dataset.") var users = 100_000
    @Option(help: "Generations in the seeded dataset.") var generations = 1_000_000
    @Option(help: "Distinct checks in the hot set.") var distinct = 1_000
    @Option(help: "Checks to run in the hot workload.") var samples = 200_000
    @Option(help: "Distinct decisions cached to measure memory per entry (0 skips it).") var memoryEntries = 200_000
    @Option(help: "Cache payloads as now (with the rule path) or as before rule paths were kept: now or before.") var memoryPayload = "now"

    func run() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-bench-cache-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let versions = VersionClock()
        let store = try SQLiteStore(StoreConfiguration(path: dataDir + "/portcullis.sqlite"), onCommit: versions.apply)
        versions.load(try store.persistedVersions())
        var random = SplitMix64(seed: 11)
        let actions: [Action] = [.read, .update, .delete, .download]
        let hot = (0..<distinct).map { _ in
            CheckRequest(userId: SeedDataset.userId(Int(random.next() % UInt64(users))), action: actions[Int(random.next() % 4)],
                         resourceType: .generation, resourceId: SeedDataset.generationId(Int(random.next() % UInt64(generations))))
        }
        func makeCache(file: String = "decision-cache.sqlite") throws -> DecisionCache {
            try DecisionCache(versions: versions, file: .init(path: scratch + "/" + file, database: try store.databaseIdentity()))
        }

        // 1. Hot workload: hit rate over `samples` checks drawn from `distinct` ones; L1 hit latency of the engine call.
        let cache = try makeCache()
        let engine = AuthorizationEngine(store: store, cache: cache)
        var nanoseconds: [Int64] = []
        nanoseconds.reserveCapacity(samples)
        var hits = 0
        for index in 0..<samples {
            let request = hot[Int(random.next() % UInt64(distinct))]
            let start = monotonicNanoseconds()
            let decision = try engine.check(request)
            let elapsed = monotonicNanoseconds() - start
            if decision.cacheLayer == .l1 { nanoseconds.append(elapsed) }
            if decision.cacheLayer != .miss { hits += 1 }
            if index == samples / 2 { try cache.flush() }
        }
        nanoseconds.sort()
        func percentile(_ p: Double) -> String {
            String(format: "%.2f", Double(nanoseconds[min(nanoseconds.count - 1, Int(Double(nanoseconds.count) * p))]) / 1000)
        }
        print("hot workload: \(samples) checks over \(distinct) distinct: hit rate \(String(format: "%.2f", 100 * Double(hits) / Double(samples))) %")
        print("engine.check answered from L1: p50 \(percentile(0.5)) µs  p90 \(percentile(0.9)) µs  p99 \(percentile(0.99)) µs")
        let report = cache.report()
        let l1 = report.layer(.l1)!
        print("L1 lookup alone (cache report): p50 \(l1.latency.p50Microseconds) µs  p99 \(l1.latency.p99Microseconds) µs  entries \(l1.entries ?? 0)  bytes \(l1.bytes ?? 0)")

        // 2. Restart: the hottest set goes to L3; a warm start loads it into L1. Compared with a cold start (empty
        //    cache files) and a start that keeps L3 but does not warm L1.
        cache.persistHotSet(limit: 100_000)
        try cache.flush()
        for (name, file, warm) in [("cold (empty cache)", "empty.sqlite", false), ("L3 kept, not warmed", "decision-cache.sqlite", false),
                                   ("warm", "decision-cache.sqlite", true)] {
            let restarted = try makeCache(file: file)
            let start = monotonicNanoseconds()
            let loaded = warm ? restarted.warm(limit: 100_000) : 0
            let warmMilliseconds = Double(monotonicNanoseconds() - start) / 1e6
            let engine = AuthorizationEngine(store: store, cache: restarted)
            var l1Hits = 0, anyHits = 0
            let window = distinct * 2
            var random = SplitMix64(seed: 99)
            for _ in 0..<window {
                let decision = try engine.check(hot[Int(random.next() % UInt64(distinct))])
                if decision.cacheLayer == .l1 { l1Hits += 1 }
                if decision.cacheLayer != .miss { anyHits += 1 }
            }
            print("\(name) restart: loaded \(loaded) entries in \(String(format: "%.1f", warmMilliseconds)) ms; "
                + "first \(window) checks: L1 hit rate \(String(format: "%.1f", 100 * Double(l1Hits) / Double(window))) %, "
                + "any layer \(String(format: "%.1f", 100 * Double(anyHits) / Double(window))) %")
        }
        if memoryEntries > 0 { try measureMemory(store: store, versions: versions, entries: memoryEntries) }
    }
}
