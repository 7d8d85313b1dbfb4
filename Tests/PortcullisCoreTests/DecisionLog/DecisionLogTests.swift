import Foundation
import Testing

@testable import PortcullisCore

/// SPEC 8.2's decision log in process: what each mode keeps, the bounded queue, a file that refuses writes, the sweeps
/// by age and size, the export.
@Suite("Decision log")
struct DecisionLogTests {
    /// A log over a file in a fresh folder, on a manual clock.
    final class Fixture {
        let folder: URL
        let clock = ManualClock(milliseconds: 1_800_000_000_000)
        let log: DecisionLog

        init(_ configure: (inout DecisionLogConfiguration) -> Void = { _ in }) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-log-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var configuration = DecisionLogConfiguration()
            configure(&configuration)
            log = try DecisionLog(configuration: configuration, path: folder.appendingPathComponent("decisions.sqlite").path, clock: clock.clock,
                                  revision: { 42 })
        }

        var path: String { folder.appendingPathComponent("decisions.sqlite").path }

        deinit { try? FileManager.default.removeItem(at: folder) }

        /// Records a check about `user` reading generation `resource`, allowed or denied.
        @discardableResult
        func check(_ user: String = "u1", _ resource: String = "g1", allowed: Bool) -> DecisionID {
            let path = allowed ? RulePath([.userActive, .generationExists, .adminSkip, .ownerAllow])
                : RulePath([.userActive, .generationExists, .adminSkip, .ownerSkip, .noProjectForProjectOwner, .noProjectForMembership,
                            .noProjectForPublic, .noGrant])
            let decision = Decision(allowed: allowed, reason: allowed ? .owner : .noGrant, revision: 7, rulePath: path)
            return log.record(CheckRequest(userId: user, action: .read, resourceType: .generation, resourceId: resource), decision,
                              caller: DecisionCaller(kind: .apiKey, id: "k1"))
        }

        func entries(_ configure: (inout DecisionQuery) -> Void = { _ in }) throws -> [StoredDecision] {
            var query = DecisionQuery()
            query.limit = DecisionQuery.maxLimit
            configure(&query)
            return try log.page(query).items
        }
    }

    enum Case: String, CaseIterable, Sendable {
        case off, denies, all, sampledNone, sampledAll
    }

    @Test("each mode logs exactly the checks it selects", arguments: Case.allCases)
    func modes(_ mode: Case) throws {
        let fixture = try Fixture { configuration in
            switch mode {
            case .off: configuration.mode = .off
            case .denies: configuration.mode = .denies
            case .all: configuration.mode = .all
            case .sampledNone: (configuration.mode, configuration.sampleRate) = (.sampled, 0)
            case .sampledAll: (configuration.mode, configuration.sampleRate) = (.sampled, 1)
            }
        }
        var allowedIds: [String] = [], deniedIds: [String] = []
        for index in 0..<10 {
            allowedIds.append(fixture.check("u\(index)", allowed: true).text)
            deniedIds.append(fixture.check("u\(index)", allowed: false).text)
        }
        let logged = Set(try fixture.entries().map(\.decisionId))
        let expected: Set<String> = switch mode {
        case .off, .sampledNone: []
        case .denies: Set(deniedIds)
        case .all, .sampledAll: Set(allowedIds + deniedIds)
        }
        #expect(logged == expected)
        #expect(Set(allowedIds + deniedIds).count == 20, "ids are unique")
    }

    @Test("sampled keeps about its rate of checks", arguments: [0.1, 0.5])
    func sampledRate(_ rate: Double) throws {
        let fixture = try Fixture { ($0.mode, $0.sampleRate, $0.queueCapacity) = (.sampled, rate, 50_000) }
        let total = 20_000
        for index in 0..<total { fixture.check("u\(index % 100)", allowed: index % 2 == 0) }
        let logged = fixture.log.report.queued
        // Binomial: σ = √(n·p·(1−p)) ≤ 71 here; six σ either side.
        let sigma = (Double(total) * rate * (1 - rate)).squareRoot()
        #expect(abs(Double(logged) - Double(total) * rate) <= 6 * sigma, "\(logged) of \(total) at rate \(rate)")
    }

    @Test("sign-ins and sign-outs are logged whatever the mode, with the client's address")
    func accountEvents() throws {
        let fixture = try Fixture { $0.mode = .off }
        fixture.check(allowed: false)
        let id = fixture.log.record(AccountEvent(action: .signIn, userId: "u1", allowed: false, reason: "throttled", clientAddress: "10.0.0.7"),
                                    caller: nil)
        let entries = try fixture.entries()
        #expect(entries.count == 1)
        let entry = try #require(entries.first)
        #expect(entry.decisionId == id.text && entry.resourceType == "account" && entry.action == "sign_in" && entry.reason == "throttled")
        #expect(entry.clientAddress == "10.0.0.7" && entry.userId == "u1" && entry.caller == nil && entry.revision == 42 && entry.rules.isEmpty)
    }

    @Test("a full queue drops and counts what does not fit; the answers' ids are handed out all the same")
    func queueFull() throws {
        let fixture = try Fixture { ($0.mode, $0.queueCapacity) = (.all, 3) }
        let ids = (0..<10).map { _ in fixture.check(allowed: true) }
        #expect(Set(ids).count == 10)
        #expect(fixture.log.report.dropped == 7 && fixture.log.report.queued == 3)
        #expect(try fixture.log.flush() == 3)
        #expect(fixture.log.report.written == 3)
        #expect(try fixture.entries().map(\.decisionId) == ids.prefix(3).reversed().map(\.text))
    }

    @Test("a file that refuses writes (a full disk) pauses logging, counting drops; decisions go on; it resumes later")
    func refusedWrites() throws {
        let fixture = try Fixture { ($0.mode, $0.pauseMilliseconds) = (.all, 10_000) }
        fixture.check(allowed: true)
        try fixture.log.flush()
        let file = try #require(fixture.log.file)
        try file.limitPages(to: 1)
        for _ in 0..<500 { fixture.check(allowed: false) }
        #expect(throws: PortcullisError.self) { try fixture.log.flush() }
        #expect(fixture.log.report.paused && fixture.log.report.dropped == 500)
        fixture.check(allowed: true)
        #expect(fixture.log.report.dropped == 501 && fixture.log.report.queued == 0)
        try file.limitPages(to: 1_000_000)
        fixture.clock.advance(seconds: 10)
        #expect(try fixture.log.flush() == 0)
        #expect(!fixture.log.report.paused)
        fixture.check(allowed: true)
        #expect(try fixture.log.flush() == 1)
        #expect(try fixture.entries().count == 2)
    }

    @Test("a read finds every answer recorded before it, even while the background writer is committing a batch")
    func readYourAnswers() async throws {
        let fixture = try Fixture { $0.mode = .all }
        let log = fixture.log
        // Each round: a batch, one answer behind it, then the writer's flush and a read at the same time. A read whose
        // flush found the queue empty while the writer still held that answer uncommitted would miss it.
        for round in 0..<300 {
            for index in 0..<50 { fixture.check("user-\(round)-\(index)", allowed: true) }
            let id = fixture.check("user-\(round)", allowed: false).text
            async let writer: Int = Task.detached { try log.flush() }.value
            let found = try await Task.detached { try log.entry(id: id) }.value
            _ = try await writer
            #expect(found != nil, "round \(round): the answer \(id) was not found")
            if found == nil { break }
        }
    }

    @Test("the retention sweep removes entries older than retention_days")
    func retention() throws {
        let fixture = try Fixture { ($0.mode, $0.retentionDays) = (.all, 90) }
        let old = (0..<5).map { _ in fixture.check(allowed: true).text }
        fixture.clock.advance(seconds: 89 * 86_400)
        let recent = (0..<3).map { _ in fixture.check(allowed: true).text }
        try fixture.log.flush()
        #expect(try fixture.log.sweep() == 0)
        fixture.clock.advance(seconds: 2 * 86_400)
        #expect(try fixture.log.sweep() == 5)
        let kept = try fixture.entries().map(\.decisionId)
        #expect(Set(kept) == Set(recent) && Set(kept).isDisjoint(with: old))
    }

    @Test("max_bytes keeps the newest entries, oldest first out, and holds the file at about its size")
    func sizeCap() throws {
        let fixture = try Fixture { ($0.mode, $0.maxBytes, $0.queueCapacity) = (.all, 256 * 1024, 10_000) }
        var ids: [DecisionID] = []
        for index in 0..<6_000 {
            ids.append(fixture.check("user-\(index)", "generation-\(index)", allowed: index % 3 == 0))
            if index % 1000 == 999 { fixture.clock.advance(milliseconds: 1) }
        }
        try fixture.log.flush()
        let file = try #require(fixture.log.file)
        let used = try file.usedBytes()
        #expect(used > 256 * 1024)
        let deleted = try fixture.log.sweep()
        // The rows beyond 90 % of the cap, in proportion to the bytes they take.
        #expect(deleted == 6_000 - Int(6_000.0 * 256 * 1024 * 0.9 / Double(used)))
        #expect(try fixture.log.entry(id: ids.last!.text) != nil, "the newest entry stays")
        #expect(try fixture.log.entry(id: ids.first!.text) == nil, "the oldest entry goes")
        #expect(try fixture.log.entry(id: ids[deleted - 1].text) == nil && fixture.log.entry(id: ids[deleted].text) != nil)
        // Rounds of writing and sweeping: the file stays near the cap (pages freed inside the indexes are reused).
        for round in 0..<5 {
            for index in 0..<2_000 { fixture.check("user-\(round)-\(index)", "generation-\(index)", allowed: true) }
            try fixture.log.flush()
            try fixture.log.sweep()
        }
        let finalBytes = try file.usedBytes()
        #expect(finalBytes <= 2 * 256 * 1024, "\(finalBytes) bytes")
    }

    @Test("the export writes NDJSON, oldest first, from a time on")
    func export() throws {
        let fixture = try Fixture { $0.mode = .all }
        fixture.check(allowed: true)
        fixture.clock.advance(seconds: 60)
        let since = fixture.clock.milliseconds
        let later = [fixture.check(allowed: false), fixture.check(allowed: true)].map(\.text)
        try fixture.log.flush()
        var lines: [String] = []
        #expect(try DecisionLog.exportNDJSON(path: fixture.path, since: since) { lines.append($0) } == 2)
        #expect(lines.allSatisfy { $0.hasSuffix("\n") })
        let ids = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["decision_id"] as? String
        }
        #expect(ids == later)
        var all = 0
        #expect(try DecisionLog.exportNDJSON(path: fixture.path, since: nil) { _ in all += 1 } == 3 && all == 3)
        #expect(try DecisionLog.exportNDJSON(path: fixture.path + ".absent", since: nil) { _ in } == 0)
    }
}
