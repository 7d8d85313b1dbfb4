import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import PortcullisCore
import Testing
import Yams
@testable import portcullis

/// `portcullis test` (SPEC 8.5): the real binary on real files, and the suite reader in process.
@Suite("portcullis test: policy tests in YAML")
struct PolicyTestCommandTests {
    /// Six entities, lines 2–7 of every suite below.
    static let data = """
        data:
          - {type: user, id: alice, email: alice@example.com}
          - {type: user, id: bob, email: bob@example.com}
          - {type: team, id: t1, name: Team, owner_id: alice}
          - {type: member, team_id: t1, user_id: bob, role: viewer}
          - {type: project, id: p1, name: P, owner_id: alice, team_id: t1, visibility: team}
          - {type: generation, id: g1, owner_id: alice, project_id: p1}

        """

    /// Writes `files` (name → text) into a fresh folder; returns its path.
    static func folder(_ files: [String: String]) throws -> String {
        let directory = CommandRunner.temporaryDirectory()
        for (name, text) in files { try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8) }
        return directory
    }

    static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    @Test("a passing suite exits 0 and counts its cases (real binary)")
    func passes() async throws {
        let directory = try Self.folder(["ok.yaml": Self.data + """
            checks:
              - {user: bob, action: read, resource: "generation:g1", allowed: true, reason: "team_role:viewer"}
              - {user: bob, action: delete, resource: "generation:g1", allowed: false}
            resources:
              - {user: bob, action: download, type: generation, ids: [g1]}
            subjects:
              - {resource: "generation:g1", action: read, users: [bob, alice]}
            """])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await CommandRunner.run(["test", directory + "/ok.yaml"])
        #expect(result.status == 0, "\(result.output)\(result.error)")
        #expect(result.output.contains("4 cases: 4 passed, 0 failed"), "\(result.output)")
    }

    @Test("a failing check exits 1 naming file and line, expected and actual, and the rules evaluated")
    func failingCheck() async throws {
        let directory = try Self.folder(["fail.yaml": Self.data + """
            checks:
              - {user: bob, action: read, resource: "generation:g1", allowed: true}
              - {user: bob, action: delete, resource: "generation:g1", allowed: true, reason: "team_role:viewer"}
            """])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/fail.yaml"
        let result = try await CommandRunner.run(["test", path])
        #expect(result.status == 1, "\(result.output)\(result.error)")
        #expect(result.output.contains("FAIL \(path):10: check bob delete generation:g1"), "\(result.output)")
        #expect(result.output.contains("expected allowed (team_role:viewer), got denied (no_grant)"), "\(result.output)")
        // The explanation: the engine's rules in order, the team membership among them.
        #expect(result.output.contains("team_membership:"), "\(result.output)")
        #expect(!result.output.contains(":9: check"), "the passing check is not reported: \(result.output)")
        #expect(result.output.contains("2 cases: 1 passed, 1 failed"), "\(result.output)")
    }

    @Test("an incomplete or over-complete listing exits 1 with what is missing and unexpected")
    func failingListings() async throws {
        let directory = try Self.folder(["lists.yaml": Self.data + """
            resources:
              - {user: bob, action: read, type: generation, ids: []}
            subjects:
              - {resource: "generation:g1", action: delete, users: [alice, bob]}
            """])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/lists.yaml"
        let result = try await CommandRunner.run(["test", path])
        #expect(result.status == 1)
        #expect(result.output.contains("FAIL \(path):9: resources bob read generation"), "\(result.output)")
        #expect(result.output.contains("unexpected g1: check says allowed (team_role:viewer)"), "\(result.output)")
        #expect(result.output.contains("FAIL \(path):11: subjects generation:g1 delete"), "\(result.output)")
        #expect(result.output.contains("missing bob: check says denied (no_grant)"), "\(result.output)")
    }

    @Test("invalid files exit 2 with file:line: unknown keys, wrong types, bad actions, bad data, bad YAML")
    func invalidFiles() async throws {
        let cases: [(text: String, line: Int, message: String)] = [
            (Self.data + "checks:\n  - {user: bob, action: read, resource: \"generation:g1\", allowed: true, because: x}\n", 9, "unknown key 'because'"),
            (Self.data + "checks:\n  - {user: bob, action: read, resource: \"generation:g1\", allowed: maybe}\n", 9, "allowed: must be true or false"),
            (Self.data + "checks:\n  - {user: bob, action: fly, resource: \"generation:g1\", allowed: true}\n", 9, "fly"),
            (Self.data + "checks:\n  - {user: bob, action: read, resource: \"gen:g1\", allowed: true}\n", 9, "TYPE:ID"),
            (Self.data + "checks:\n  - {user: bob, action: read, resource: \"generation:g1\", allowed: true, reason: sure}\n", 9, "not a reason"),
            (Self.data + "resources:\n  - {user: bob, action: read, type: generation, ids: g1}\n", 9, "must be a list of ids"),
            (Self.data + "colour: blue\nchecks: []\n", 8, "unknown key 'colour'"),
            ("data:\n  - {type: user, id: a, email: a@example.com}\n  - {type: member, team_id: nope, user_id: a, role: viewer}\nchecks:\n"
                + "  - {user: a, action: read, resource: \"team:nope\", allowed: false}\n", 3, "team_id"),
            ("data:\n  - {type: user, id: a, email: [\n", 3, "not valid YAML"),
            ("now: yesterday\n" + Self.data + "checks:\n  - {user: bob, action: read, resource: \"generation:g1\", allowed: true}\n", 1, "RFC 3339"),
        ]
        for (index, test) in cases.enumerated() {
            let directory = try Self.folder(["bad.yaml": test.text])
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/bad.yaml"
            let result = try await CommandRunner.run(["test", path])
            #expect(result.status == 2, "case \(index): \(result.output)\(result.error)")
            #expect(result.error.contains("\(path):\(test.line): "), "case \(index): \(result.error)")
            #expect(result.error.contains(test.message), "case \(index): \(result.error)")
        }
    }

    @Test("data from an NDJSON file beside the YAML; a bad NDJSON line is reported at its own file and line")
    func ndjsonData() async throws {
        let ndjson = [
            #"{"type":"user","id":"a","email":"a@example.com"}"#,
            #"{"type":"user","id":"b","email":"b@example.com"}"#,
            #"{"type":"project","id":"p","name":"P","owner_id":"a","visibility":"public"}"#,
            #"{"type":"generation","id":"g","owner_id":"a","project_id":"p"}"#,
        ].joined(separator: "\n")
        let suite = """
            data: {file: data/entities.ndjson}
            checks:
              - {user: b, action: download, resource: "generation:g", allowed: true, reason: public_project}
              - {user: b, action: update, resource: "generation:g", allowed: false, reason: no_grant}
            subjects:
              - {resource: "project:p", action: update, users: [a]}
            """
        let directory = try Self.folder(["suite.yaml": suite])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        try ndjson.write(toFile: directory + "/data/entities.ndjson", atomically: true, encoding: .utf8)
        let passed = try await CommandRunner.run(["test", directory + "/suite.yaml"])
        #expect(passed.status == 0, "\(passed.output)\(passed.error)")
        #expect(passed.output.contains("3 cases: 3 passed"), "\(passed.output)")

        try (ndjson + "\n" + #"{"type":"generation","id":"h","owner_id":"nobody"}"#)
            .write(toFile: directory + "/data/entities.ndjson", atomically: true, encoding: .utf8)
        let invalid = try await CommandRunner.run(["test", directory + "/suite.yaml"])
        #expect(invalid.status == 2)
        #expect(invalid.error.contains(directory + "/data/entities.ndjson:5: "), "\(invalid.error)")
        #expect(invalid.error.contains("owner_id"), "\(invalid.error)")
    }

    @Test("--junit writes JUnit XML: a suite per file, failures with their line, an invalid file as an error")
    func junit() async throws {
        let directory = try Self.folder([
            "a.yaml": Self.data + "checks:\n  - {user: bob, action: read, resource: \"generation:g1\", allowed: false}\n"
                + "  - {user: alice, action: delete, resource: \"generation:g1\", allowed: true, reason: owner}\n",
            "b.yaml": Self.data + "checks:\n  - {user: bob, action: read, resource: \"generation:g1\", allowed: true, extra: 1}\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let report = directory + "/report.xml"
        let result = try await CommandRunner.run(["test", directory + "/a.yaml", directory + "/b.yaml", "--junit", report])
        #expect(result.status == 2, "an invalid file outranks a failure: \(result.output)")
        let xml = try String(contentsOfFile: report, encoding: .utf8)
        let document = try XMLDocument(xmlString: xml)
        let root = try #require(document.rootElement())
        #expect(root.name == "testsuites")
        #expect(root.attribute(forName: "tests")?.stringValue == "3")
        #expect(root.attribute(forName: "failures")?.stringValue == "1")
        #expect(root.attribute(forName: "errors")?.stringValue == "1")
        let suites = root.elements(forName: "testsuite")
        #expect(suites.count == 2)
        let cases = suites[0].elements(forName: "testcase")
        #expect(cases.map { $0.attribute(forName: "name")?.stringValue ?? "" } == ["line 9: check bob read generation:g1", "line 10: check alice delete generation:g1"])
        let failure = try #require(cases[0].elements(forName: "failure").first)
        #expect(failure.attribute(forName: "message")?.stringValue == "expected denied, got allowed (team_role:viewer)")
        #expect(failure.stringValue?.contains("a.yaml:9:") == true)
        #expect(cases[1].elements(forName: "failure").isEmpty)
        let error = try #require(suites[1].elements(forName: "testcase").first?.elements(forName: "error").first)
        #expect(error.attribute(forName: "message")?.stringValue?.contains("unknown key 'extra'") == true)
    }

    @Test("now: fixes the suite's clock; without it the runner reads the system clock")
    func fixedClock() throws {
        let directory = try Self.folder([
            "fixed.yaml": "now: 2026-03-01T12:00:00.250+01:00\n" + Self.data + "checks:\n  - {user: bob, action: read, resource: \"team:t1\", allowed: true}\n",
            "free.yaml": Self.data + "checks:\n  - {user: bob, action: read, resource: \"team:t1\", allowed: true}\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fixed = try PolicySuite.load(path: directory + "/fixed.yaml")
        // 2026-03-01T11:00:00.250Z
        #expect(fixed.now == 1_772_362_800_250)
        let runner = PolicySuiteRunner(suite: fixed)
        #expect(runner.clock.milliseconds() == 1_772_362_800_250)
        #expect(runner.clock.timestamp() == "2026-03-01T11:00:00.250Z")
        let result = runner.run()
        #expect(result.invalid == nil && result.failures.isEmpty)

        let free = PolicySuiteRunner(suite: try PolicySuite.load(path: directory + "/free.yaml"))
        let before = WallClock.system.milliseconds()
        let read = free.clock.milliseconds()
        #expect(read >= before && read <= WallClock.system.milliseconds())
    }

    @Test("now: decides time-bound memberships: the same suite passes at one instant and fails at another")
    func timeBounds() async throws {
        func suite(now: String) -> String {
            """
            now: \(now)
            data:
              - {type: user, id: alice, email: alice@example.com}
              - {type: user, id: temp, email: temp@example.com}
              - {type: team, id: t1, name: Team, owner_id: alice}
              - {type: member, team_id: t1, user_id: temp, role: editor, starts_at: "2026-03-01T00:00:00Z", expires_at: "2026-04-01T00:00:00Z"}
              - {type: project, id: p1, name: P, owner_id: alice, team_id: t1, visibility: team}
              - {type: generation, id: g1, owner_id: alice, project_id: p1}
            checks:
              - {user: temp, action: update, resource: "generation:g1", allowed: true, reason: "team_role:editor"}
            resources:
              - {user: temp, action: read, type: generation, ids: [g1]}
            subjects:
              - {resource: "generation:g1", action: update, users: [alice, temp]}
            """
        }
        let directory = try Self.folder([
            "inside.yaml": suite(now: "2026-03-31T23:59:59.999Z"),
            "before.yaml": suite(now: "2026-02-28T23:59:59Z"),
            "after.yaml": suite(now: "2026-04-01T00:00:00Z"),
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let inside = try await CommandRunner.run(["test", directory + "/inside.yaml"])
        #expect(inside.status == 0, "\(inside.output)\(inside.error)")
        for name in ["before.yaml", "after.yaml"] {
            let outside = try await CommandRunner.run(["test", directory + "/" + name])
            #expect(outside.status == 1, "\(name): \(outside.output)")
            #expect(outside.output.contains("3 cases: 0 passed, 3 failed"), "\(name): \(outside.output)")
            #expect(outside.output.contains("got denied (no_grant)"), "\(name): \(outside.output)")
        }
    }

    @Test("YAML values become the import's JSON: numbers, booleans, null, lists, nested maps, timestamps as text")
    func yamlToJSON() throws {
        let node = try #require(try Yams.compose(yaml: """
            type: user
            id: "007"
            email: a@example.com
            is_admin: true
            display_name: null
            n: 12
            f: 1.5
            at: 2026-01-01T00:00:00Z
            l: [a, 2]
            """))
        let json = try YAMLJSON.encode(node, path: "x.yaml")
        #expect(json == #"{"type":"user","id":"007","email":"a@example.com","is_admin":true,"display_name":null,"n":12,"f":1.5,"at":"2026-01-01T00:00:00Z","l":["a",2]}"#)
    }

    @Test("the shipped examples/policy-tests pass")
    func examples() async throws {
        let folder = Self.repositoryRoot + "/examples/policy-tests"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }.sorted().map { folder + "/" + $0 }
        #expect(files.count >= 4)
        let result = try await CommandRunner.run(["test"] + files)
        #expect(result.status == 0, "\(result.output)\(result.error)")
    }
}
