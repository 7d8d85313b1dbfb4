import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis bench-audit`: what the decision log costs in-process — recording an answer on the request path, and
/// the background writer's time per entry — on a scratch log file.
struct BenchAudit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-audit",
        abstract: "Measure the decision log in-process: the cost of recording an answer, and the writer's time per entry.")

    @Option(help: "Answers to record.") var samples = 300_000
    @Option(help: "Entries per flush (the writer commits what 100 ms of traffic queued).") var batch = 1_500

    func run() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-bench-audit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var configuration = DecisionLogConfiguration()
        (configuration.mode, configuration.queueCapacity) = (.all, samples)
        let log = try DecisionLog(configuration: configuration, path: scratch + "/decisions.sqlite")
        let decision = Decision(allowed: true, reason: .teamRole(.viewer), revision: 7,
                                rulePath: RulePath([.userActive, .generationExists, .adminSkip, .ownerSkip, .projectOwnerSkip, .roleGrants],
                                                   role: .viewer, teamId: "t1234"))
        let caller = DecisionCaller(kind: .apiKey, id: "k1")
        let requests = (0..<1000).map { index in
            CheckRequest(userId: SeedDataset.userId(index * 97), action: .read, resourceType: .generation,
                         resourceId: SeedDataset.generationId(index * 991))
        }
        var recordNanoseconds: Int64 = 0, flushNanoseconds: Int64 = 0
        let cpuBefore = Self.cpuNanoseconds()
        var written = 0
        for start in stride(from: 0, to: samples, by: batch) {
            let begin = monotonicNanoseconds()
            for index in start..<min(samples, start + batch) { _ = log.record(requests[index % 1000], decision, caller: caller) }
            recordNanoseconds += monotonicNanoseconds() - begin
            let flushBegin = monotonicNanoseconds()
            written += try log.flush()
            flushNanoseconds += monotonicNanoseconds() - flushBegin
        }
        let cpu = Self.cpuNanoseconds() - cpuBefore
        print("recorded \(samples) answers: \(String(format: "%.0f", Double(recordNanoseconds) / Double(samples))) ns each on the request path")
        let perEntry = Double(flushNanoseconds) / Double(written) / 1000, cpuPerEntry = Double(cpu) / Double(written) / 1000
        print("writer: \(written) entries in batches of \(batch): \(String(format: "%.2f", perEntry)) µs each "
            + "(\(Int(1e6 / perEntry)) entries/s); process CPU \(String(format: "%.2f", cpuPerEntry)) µs per entry, recording included")
        let size = (try? FileManager.default.attributesOfItem(atPath: scratch + "/decisions.sqlite")[.size] as? Int) ?? 0
        print("file: \(size / max(1, written)) bytes per entry (without the WAL)")
    }

    /// CPU time of the process so far (user + system).
    static func cpuNanoseconds() -> Int64 {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return (Int64(usage.ru_utime.tv_sec) + Int64(usage.ru_stime.tv_sec)) * 1_000_000_000
            + (Int64(usage.ru_utime.tv_usec) + Int64(usage.ru_stime.tv_usec)) * 1000
    }
}
