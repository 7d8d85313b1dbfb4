import Foundation
import PortcullisCore

/// What one case of a suite came to.
struct PolicyCaseResult {
    /// The YAML line the case starts on.
    var line: Int
    /// What the case asked, e.g. `check bob read generation:g1`.
    var name: String
    /// Nil when it passed; else expected against actual, with the explanation of the decisions involved.
    var failure: String?
}

/// What a whole file came to: its cases, or why it could not run (an invalid file).
struct PolicySuiteResult {
    var path: String
    var cases: [PolicyCaseResult] = []
    var invalid: PolicySuiteError?
    var seconds: Double = 0

    var failures: [PolicyCaseResult] { cases.filter { $0.failure != nil } }
}

/// Runs one suite on a database of its own: a temporary SQLite file (WAL, as served) that the data is imported into
/// with the import itself, then every case asked of the real engine in process.
///
/// The clock: a suite's `now:` becomes a fixed `WallClock` (`clock`) handed to the engine, so time-bound memberships
/// are evaluated at that instant in checks and listings alike; without `now:` it is the system clock.
struct PolicySuiteRunner {
    let suite: PolicySuite

    /// The clock the suite runs at.
    var clock: WallClock {
        guard let now = suite.now else { return .system }
        return WallClock { now }
    }

    func run() -> PolicySuiteResult {
        let started = ContinuousClock.now
        var result = PolicySuiteResult(path: suite.path)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-test-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let store = try SQLiteStore(StoreConfiguration(path: directory + "/portcullis.sqlite", synchronous: .normal))
            try load(into: store)
            let engine = AuthorizationEngine(store: store, clock: clock)
            result.cases = suite.checks.map { check($0, engine) } + suite.resources.map { resources($0, engine) }
                + suite.subjects.map { subjects($0, engine) }
        } catch let error as PolicySuiteError {
            result.invalid = error
        } catch {
            result.invalid = PolicySuiteError(path: suite.path, line: nil, message: "\(error)")
        }
        let elapsed = (ContinuousClock.now - started).components
        result.seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        return result
    }

    /// Imports the data all or nothing; a bad line makes the file invalid, reported at its YAML (or NDJSON) line.
    private func load(into store: SQLiteStore) throws {
        // Passwords in test data are hashed with the fewest rounds a PHC string may carry: nobody signs in here.
        let hasher = PasswordHasher(iterations: 1_000)
        let lineOf: (Int) -> (path: String, line: Int)
        switch suite.data {
        case .inline(let items): lineOf = { index in (suite.path, items.indices.contains(index - 1) ? items[index - 1].line : 0) }
        case .file(let path, _): lineOf = { index in (path, index) }
        }
        do {
            try WriteAttribution.$current.withValue(WriteAttribution(actor: .cli("test"))) {
                switch suite.data {
                case .inline(let items):
                    let lines = items.enumerated().map { (line: $0.offset + 1, text: Optional(Substring($0.element.json))) }
                    try store.importRecords(from: lines, hasher: hasher)
                case .file(let path, _):
                    try store.importRecords(from: try LineReader(path: path), hasher: hasher)
                }
            }
        } catch let error as PortcullisError {
            guard let first = error.details?.first else {
                let line: Int? = if case .file(_, let line) = suite.data { line } else { nil }
                throw PolicySuiteError(path: suite.path, line: line, message: "data: \(error.message)")
            }
            let place = lineOf(first.line)
            var message = "data: \(first.message)"
            let more = (error.details?.count ?? 1) - 1
            if more > 0 { message += " (and \(more) more bad line\(more == 1 ? "" : "s"))" }
            throw PolicySuiteError(path: place.path, line: place.line, message: message)
        }
    }

    private func check(_ test: PolicySuite.CheckCase, _ engine: AuthorizationEngine) -> PolicyCaseResult {
        let request = test.request
        let name = "check \(request.userId) \(request.action.rawValue) \(request.resourceType.rawValue):\(request.resourceId)"
        let decision: Decision
        do {
            decision = try engine.check(request)
        } catch {
            return PolicyCaseResult(line: test.line, name: name, failure: "the check failed: \(Self.message(error))")
        }
        let reasonMatches = test.reason.map { $0 == decision.reason.code } ?? true
        if decision.allowed == test.allowed && reasonMatches { return PolicyCaseResult(line: test.line, name: name, failure: nil) }
        let expected = (test.allowed ? "allowed" : "denied") + (test.reason.map { " (\($0))" } ?? "")
        let actual = (decision.allowed ? "allowed" : "denied") + " (\(decision.reason.code))"
        return PolicyCaseResult(line: test.line, name: name,
                                failure: "expected \(expected), got \(actual)\n" + Self.explanation(decision))
    }

    private func resources(_ test: PolicySuite.ResourcesCase, _ engine: AuthorizationEngine) -> PolicyCaseResult {
        let name = "resources \(test.user) \(test.action.rawValue) \(test.type.rawValue)"
        let actual: [String]
        do {
            actual = try Self.allPages { page in try engine.resources(userId: test.user, type: test.type, action: test.action, page: page).page }
        } catch {
            return PolicyCaseResult(line: test.line, name: name, failure: "the listing failed: \(Self.message(error))")
        }
        let why = { (id: String) in
            CheckRequest(userId: test.user, action: test.action, resourceType: test.type, resourceId: id, explain: true)
        }
        return PolicyCaseResult(line: test.line, name: name,
                                failure: Self.compare(expected: test.ids, actual: actual, noun: "\(test.type.rawValue)s", engine: engine, why: why))
    }

    private func subjects(_ test: PolicySuite.SubjectsCase, _ engine: AuthorizationEngine) -> PolicyCaseResult {
        let name = "subjects \(test.type.rawValue):\(test.id) \(test.action.rawValue)"
        let actual: [String]
        do {
            actual = try Self.allPages { page in try engine.subjects(type: test.type, id: test.id, action: test.action, page: page).page }
        } catch {
            return PolicyCaseResult(line: test.line, name: name, failure: "the listing failed: \(Self.message(error))")
        }
        let why = { (user: String) in
            CheckRequest(userId: user, action: test.action, resourceType: test.type, resourceId: test.id, explain: true)
        }
        return PolicyCaseResult(line: test.line, name: name,
                                failure: Self.compare(expected: test.users, actual: actual, noun: "users", engine: engine, why: why))
    }

    /// Nil when both lists hold the same ids in any order; else what is missing and what is unexpected, each with the
    /// check that explains it.
    private static func compare(expected: [String], actual: [String], noun: String, engine: AuthorizationEngine,
                                why: (String) -> CheckRequest) -> String? {
        let missing = expected.filter { !actual.contains($0) }
        let unexpected = actual.filter { !expected.contains($0) }.sorted()
        guard !missing.isEmpty || !unexpected.isEmpty else { return nil }
        var text = "expected \(noun) [\(expected.sorted().joined(separator: ", "))], got [\(actual.sorted().joined(separator: ", "))]"
        for (label, ids) in [("missing", missing), ("unexpected", unexpected)] {
            for id in ids {
                text += "\n  \(label) \(id):"
                if let decision = try? engine.check(why(id)) {
                    text += " check says \(decision.allowed ? "allowed" : "denied") (\(decision.reason.code))\n"
                    text += explanation(decision, indent: "    ")
                }
            }
        }
        return text
    }

    /// Every page of a listing, in order.
    private static func allPages(_ fetch: (PageRequest) throws -> Page<String>) throws -> [String] {
        var ids: [String] = []
        var page = PageRequest(limit: PageRequest.maxLimit)
        while true {
            let next = try fetch(page)
            ids += next.items
            guard let cursor = next.nextCursor else { return ids }
            page.cursor = cursor
        }
    }

    /// The rules evaluated, one a line: `rule: outcome — detail`.
    static func explanation(_ decision: Decision, indent: String = "  ") -> String {
        (decision.explanation ?? []).map { "\(indent)\($0.rule): \($0.outcome.rawValue) — \($0.detail)" }.joined(separator: "\n")
    }

    private static func message(_ error: any Error) -> String {
        (error as? PortcullisError)?.message ?? "\(error)"
    }
}
