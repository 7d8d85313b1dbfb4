import Foundation
import Testing

@testable import PortcullisCore

/// `backup` copies the decision log beside the database; `restore` puts it back, keeping the one it replaces.
@Suite("Decision log backup and restore")
struct DecisionLogBackupTests {
    @Test("a backup carries the log; a restore brings back the entries it held and keeps the replaced log aside")
    func roundTrip() async throws {
        let directory = try TestDirectory()
        try await directory.user("u1")
        let dataDirectory = directory.folder.path
        let logPath = dataDirectory + "/" + DatabaseBackup.decisionLogFileName
        var configuration = DecisionLogConfiguration()
        configuration.mode = .all
        let log = try DecisionLog(configuration: configuration, path: logPath)
        let decision = Decision(allowed: true, reason: .admin, revision: 1, rulePath: RulePath([.userActive, .generationExists, .adminAllow]))
        let request = CheckRequest(userId: "u1", action: .read, resourceType: .generation, resourceId: "g1")
        let before = log.record(request, decision, caller: DecisionCaller(kind: .cli, id: nil))
        try log.flush()

        let backup = dataDirectory + "/../" + UUID().uuidString + ".backup"
        defer { for path in [backup, DatabaseBackup.decisionLogBackupPath(backup)] { try? FileManager.default.removeItem(atPath: path) } }
        let summary = try DatabaseBackup.backup(databasePath: directory.path, to: backup, decisionLogPath: logPath)
        #expect(summary.decisionLog == DatabaseBackup.decisionLogBackupPath(backup))
        #expect(FileManager.default.fileExists(atPath: DatabaseBackup.decisionLogBackupPath(backup)))

        let after = log.record(request, decision, caller: DecisionCaller(kind: .cli, id: nil))
        try log.flush()
        let restored = try DatabaseBackup.restore(from: backup, databasePath: directory.path, dataDirectory: dataDirectory)
        #expect(restored.decisionLog == logPath)
        let reopened = try DecisionLog(configuration: configuration, path: logPath)
        #expect(try reopened.entry(id: before.text) != nil)
        #expect(try reopened.entry(id: after.text) == nil, "an entry logged after the backup is not in the restored log")
        let kept = try DecisionLog(configuration: configuration, path: logPath + ".pre-restore")
        #expect(try kept.entry(id: after.text) != nil, "the replaced log is kept aside")
    }

    @Test("a damaged log beside a backup stops the restore before anything is replaced")
    func damagedLog() async throws {
        let directory = try TestDirectory()
        try await directory.user("u1")
        let backup = directory.folder.path + "/../" + UUID().uuidString + ".backup"
        defer { for path in [backup, DatabaseBackup.decisionLogBackupPath(backup)] { try? FileManager.default.removeItem(atPath: path) } }
        _ = try DatabaseBackup.backup(databasePath: directory.path, to: backup)
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: DatabaseBackup.decisionLogBackupPath(backup)))
        try await directory.user("u2")
        #expect(throws: PortcullisError.self) {
            try DatabaseBackup.restore(from: backup, databasePath: directory.path, dataDirectory: directory.folder.path)
        }
        #expect(try directory.rowCounts()["users"] == 2, "nothing was replaced")
    }
}
