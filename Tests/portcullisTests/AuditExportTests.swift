import Foundation
import PortcullisCore
import PortcullisTestSupport
import Testing

/// `portcullis audit export` (SPEC 8.2): the change log and the decision log as NDJSON on standard output.
@Suite("Command: audit export")
struct AuditExportTests {
    @Test("exports every change as one JSON line, attributed to the command that wrote it; --since filters by time")
    func exportChanges() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = directory + "/data"
        let file = directory + "/in.ndjson"
        try [#"{"type":"user","id":"u1","email":"u1@example.com"}"#, #"{"type":"team","id":"t1","name":"T","owner_id":"u1"}"#]
            .joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let imported = try await CommandRunner.run(["import", "--data-dir", data, file])
        #expect(imported.status == 0, "\(imported.error)")

        let exported = try await CommandRunner.run(["audit", "export", "--data-dir", data])
        #expect(exported.status == 0, "\(exported.error)")
        let lines = exported.output.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.map { $0?["entity_id"] as? String } == ["u1", "t1", "t1/u1"])
        #expect(lines.allSatisfy { ($0?["actor"] as? [String: Any])?["kind"] as? String == "cli" && ($0?["actor"] as? [String: Any])?["id"] as? String == "import" })

        let explicit = try await CommandRunner.run(["audit", "export", "--data-dir", data, "--kind", "changes", "--since", "2000-01-01T00:00:00Z"])
        #expect(explicit.output == exported.output)
        let future = try await CommandRunner.run(["audit", "export", "--data-dir", data, "--since", "2999-01-01T00:00:00+02:00"])
        #expect(future.status == 0 && future.output.isEmpty)
    }

    @Test("exports the decision log's entries, oldest first; --since filters by time; no log writes nothing")
    func exportDecisions() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let empty = try await CommandRunner.run(["audit", "export", "--data-dir", directory, "--kind", "decisions"])
        #expect(empty.status == 0 && empty.output.isEmpty, "\(empty.error)")
        var configuration = DecisionLogConfiguration()
        configuration.mode = .all
        let log = try DecisionLog(configuration: configuration, path: directory + "/decisions.sqlite", revision: { 3 })
        let ids = ["g1", "g2"].map { resource in
            log.record(CheckRequest(userId: "u1", action: .read, resourceType: .generation, resourceId: resource),
                       Decision(allowed: false, reason: .noGrant, revision: 3), caller: DecisionCaller(kind: .apiKey, id: "k1")).text
        }
        try log.flush()
        let exported = try await CommandRunner.run(["audit", "export", "--data-dir", directory, "--kind", "decisions"])
        #expect(exported.status == 0, "\(exported.error)")
        let lines = exported.output.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.map { $0?["decision_id"] as? String } == ids)
        #expect(lines.map { $0?["resource_id"] as? String } == ["g1", "g2"])
        let future = try await CommandRunner.run(["audit", "export", "--data-dir", directory, "--kind", "decisions", "--since", "2999-01-01T00:00:00Z"])
        #expect(future.status == 0 && future.output.isEmpty)
    }

    @Test("refusals: a bad --since, a missing database, an unknown kind")
    func refusals() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let since = try await CommandRunner.run(["audit", "export", "--data-dir", directory, "--since", "yesterday"])
        #expect(since.status == 1 && since.error.contains("since"), "\(since.error)")
        let missing = try await CommandRunner.run(["audit", "export", "--data-dir", directory + "/nothing"])
        #expect(missing.status == 1 && missing.error.contains("no database"), "\(missing.error)")
        let kind = try await CommandRunner.run(["audit", "export", "--data-dir", directory, "--kind", "cats"])
        #expect(kind.status != 0)
    }
}
