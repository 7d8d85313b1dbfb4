import Foundation
import GRDB
import Testing

/// `portcullis backup`, `restore` and `doctor`, run as a user would run them, against a real server.
@Suite("Operations commands")
struct OperationsTests {
    /// A server on a fresh data directory, with its admin key.
    struct RunningServer {
        var directory: String
        var port: Int
        var process: SpawnedProcess
        var key: String

        static func start(directory: String = CommandRunner.temporaryDirectory()) throws -> RunningServer {
            let port = CommandRunner.freePort()
            let process = try CommandRunner.start(["serve", "--data-dir", directory, "--port", String(port)])
            let log = CommandRunner.waitUntilListening(process)
            guard log.contains("listening") else { throw CocoaError(.fileReadUnknown, userInfo: ["log": log]) }
            let key = try String(contentsOfFile: directory + "/admin.key", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            return RunningServer(directory: directory, port: port, process: process, key: key)
        }

        func createUser(_ id: String) async throws -> String {
            try await HTTP.post(port: port, path: "/api/v1/users", bearer: key, body: #"{"id":"\#(id)","email":"\#(id)@example.com"}"#)
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Whether `user` exists (and is active) in the data directory, asked offline.
    static func userExists(_ user: String, in directory: String) async throws -> Bool {
        let result = try await CommandRunner.run(["check", "--data-dir", directory, "--user", user, "--action", "read", "--resource", "team:none"])
        return result.output.contains("not_found")
    }

    @Test("backup while the server is writing: a consistent, self-contained, 0600 copy that restores elsewhere")
    func onlineBackup() async throws {
        let server = try RunningServer.start()
        defer {
            server.stop()
            try? FileManager.default.removeItem(atPath: server.directory)
        }
        for index in 0..<20 { #expect(try await server.createUser("before-\(index)").contains(" 201 ")) }
        // Writers keep going while the backup runs.
        let writer = Task {
            for index in 0..<200 { _ = try await server.createUser("during-\(index)") }
        }
        let file = server.directory + "/../" + UUID().uuidString + ".backup"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let backup = try await CommandRunner.run(["backup", "--data-dir", server.directory, file])
        try await writer.value
        #expect(backup.status == 0, "\(backup.error)")
        #expect(backup.output.contains("backed up revision"))
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(!FileManager.default.fileExists(atPath: file + "-wal"))

        // The backup holds one revision: every user written before that revision, none after.
        let (revision, users) = try await DatabaseQueue(path: file).read { db in
            (try Int64.fetchOne(db, sql: "SELECT value FROM revision")!, try Int.fetchOne(db, sql: "SELECT count(*) FROM users")!)
        }
        let baseRevision = revision - Int64(users)
        #expect(users >= 20 && baseRevision >= 0 && baseRevision <= 2, "revision \(revision), \(users) users")

        let again = try await CommandRunner.run(["backup", "--data-dir", server.directory, file])
        #expect(again.status == 1 && again.error.contains("exists"), "an existing file is never overwritten")

        let elsewhere = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        let restore = try await CommandRunner.run(["restore", "--data-dir", elsewhere, file])
        #expect(restore.status == 0, "\(restore.error)")
        #expect(try await Self.userExists("before-19", in: elsewhere))
        let doctor = try await CommandRunner.run(["doctor", "--data-dir", elsewhere])
        #expect(doctor.status == 0, "\(doctor.output)")
    }

    @Test("restore refuses while a server runs, and a second server refuses the same data directory")
    func restoreRefusesRunningServer() async throws {
        let server = try RunningServer.start()
        defer { try? FileManager.default.removeItem(atPath: server.directory) }
        _ = try await server.createUser("kept")
        let file = CommandRunner.temporaryDirectory() + "/backup.sqlite"
        defer { try? FileManager.default.removeItem(atPath: (file as NSString).deletingLastPathComponent) }
        #expect(try await CommandRunner.run(["backup", "--data-dir", server.directory, file]).status == 0)
        _ = try await server.createUser("after-backup")

        let refused = try await CommandRunner.run(["restore", "--data-dir", server.directory, file])
        #expect(refused.status == 1)
        #expect(refused.error.contains("in use by process \(server.process.processIdentifier)"), "\(refused.error)")
        let second = try await CommandRunner.run(["serve", "--data-dir", server.directory, "--port", String(CommandRunner.freePort())])
        #expect(second.status == 1 && second.error.contains("in use"), "\(second.error)")
        #expect(try await server.createUser("still-serving").contains(" 201 "))
        server.stop()
        #expect(server.process.terminationStatus == 0)

        _ = FileManager.default.createFile(atPath: server.directory + "/decision-cache.sqlite", contents: Data("stale".utf8))
        // Stopped: the restore goes through; writes after the backup are gone, the old database is kept aside.
        let restored = try await CommandRunner.run(["restore", "--data-dir", server.directory, file])
        #expect(restored.status == 0, "\(restored.error)")
        #expect(try await Self.userExists("kept", in: server.directory))
        #expect(try await !Self.userExists("after-backup", in: server.directory))
        #expect(FileManager.default.fileExists(atPath: server.directory + "/portcullis.sqlite.pre-restore"))
        #expect(!FileManager.default.fileExists(atPath: server.directory + "/portcullis.sqlite-wal"))
        #expect(!FileManager.default.fileExists(atPath: server.directory + "/decision-cache.sqlite"), "the decision cache goes too")

        // And a server starts on the restored database with the same admin key.
        let again = try RunningServer.start(directory: server.directory)
        defer { again.stop() }
        #expect(again.key == server.key)
        #expect(try await again.createUser("after-restore").contains(" 201 "))
    }

    @Test("an offline import into a data directory a server holds is refused: exit 1, nothing written, the server unaffected")
    func importRefusesRunningServer() async throws {
        let server = try RunningServer.start()
        defer { try? FileManager.default.removeItem(atPath: server.directory) }
        _ = try await server.createUser("kept")
        let file = CommandRunner.temporaryDirectory() + "/users.ndjson"
        defer { try? FileManager.default.removeItem(atPath: (file as NSString).deletingLastPathComponent) }
        try Data(#"{"type":"user","id":"imported","email":"imported@example.com"}"#.utf8).write(to: URL(fileURLWithPath: file))

        let refused = try await CommandRunner.run(["import", "--data-dir", server.directory, file])
        #expect(refused.status == 1)
        #expect(refused.error.contains("in use by process \(server.process.processIdentifier)") && refused.error.contains("POST /api/v1/import"),
                "\(refused.error)")
        #expect(try await server.createUser("still-serving").contains(" 201 "))
        server.stop()
        #expect(try await !Self.userExists("imported", in: server.directory), "the refused import wrote")
        // Stopped: the same import goes through.
        let imported = try await CommandRunner.run(["import", "--data-dir", server.directory, file])
        #expect(imported.status == 0, "\(imported.error)")
        #expect(try await Self.userExists("imported", in: server.directory))
    }

    @Test("restore validates first: a damaged file, a foreign SQLite file or no file change nothing", arguments: ["damaged", "foreign", "missing"])
    func restoreRejectsBadBackups(kind: String) async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try RunningServer.start(directory: directory + "/data")
        _ = try await server.createUser("original")
        server.stop()
        let before = try Data(contentsOf: URL(fileURLWithPath: directory + "/data/portcullis.sqlite"))

        let file = directory + "/bad.sqlite"
        switch kind {
        case "damaged":
            #expect(try await CommandRunner.run(["backup", "--data-dir", directory + "/data", file]).status == 0)
            // Overwrite a page in the middle: the header still says SQLite, the b-tree does not hold together.
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
            try handle.seek(toOffset: 8192)
            try handle.write(contentsOf: Data(repeating: 0xA5, count: 8192))
            try handle.close()
        case "foreign":
            try await DatabaseQueue(path: file).write { db in try db.execute(sql: "CREATE TABLE notes (body TEXT)") }
        default:
            break
        }
        let result = try await CommandRunner.run(["restore", "--data-dir", directory + "/data", file])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.error.contains(["damaged": "integrity", "foreign": "not a Portcullis database", "missing": "no backup"][kind]!)
                || (kind == "damaged" && result.error.contains("not a readable")), "\(result.error)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/data/portcullis.sqlite")) == before)
        #expect(!FileManager.default.fileExists(atPath: directory + "/data/portcullis.sqlite.pre-restore"))
        #expect(try await Self.userExists("original", in: directory + "/data"))
    }

    @Test("doctor: ok on a healthy installation; fails on key file modes, bad config, newer migrations; warns on pending ones")
    func doctor() async throws {
        let directory = CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = directory + "/data"
        let config = directory + "/portcullis.toml"
        try "[storage]\ndata_dir = \"\(data)\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        let server = try RunningServer.start(directory: data)

        let running = try await CommandRunner.run(["doctor", "--config", config])
        #expect(running.status == 0, "\(running.output)")
        // The binary turns SQLite's memory statistics off before its first use (so no allocation takes their lock).
        for line in ["ok    sqlite: SQLite 3.", ", memory statistics off", "ok    config: \(config) loads", "ok    server: running (pid \(server.process.processIdentifier))",
                     "ok    database: integrity_check ok", "ok    migrations: all", "ok    admin.key: mode 600",
                     "ok    signing-keys: mode 600", "verdict: ok (0 failed"] {
            #expect(running.output.contains(line), "\(line) in \(running.output)")
        }
        server.stop()

        chmod(data + "/admin.key", 0o644)
        let loose = try await CommandRunner.run(["doctor", "--data-dir", data])
        #expect(loose.status == 1)
        #expect(loose.output.contains("fail  admin.key: mode 644, must be 600"), "\(loose.output)")
        #expect(loose.output.contains("ok    server: not running"))
        #expect(loose.output.contains("verdict: fail (1 failed"))
        chmod(data + "/admin.key", 0o600)

        try "[storage]\ndata_dir = \"\(data)\"\ncolour = \"blue\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        let badConfig = try await CommandRunner.run(["doctor", "--config", config, "--data-dir", data])
        #expect(badConfig.status == 1)
        #expect(badConfig.output.contains("fail  config:") && badConfig.output.contains("colour"), "\(badConfig.output)")

        let database = try DatabaseQueue(path: data + "/portcullis.sqlite")
        let last = try await database.write { db in
            let last = try String.fetchOne(db, sql: "SELECT max(identifier) FROM grdb_migrations")!
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = ?", arguments: [last])
            return last
        }
        let pending = try await CommandRunner.run(["doctor", "--data-dir", data])
        #expect(pending.status == 0, "a pending migration is applied by the next start: a warning")
        #expect(pending.output.contains("warn  migrations: pending: \(last)"), "\(pending.output)")

        try await database.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?), ('9999_from_the_future')", arguments: [last])
        }
        try database.close()
        let newer = try await CommandRunner.run(["doctor", "--data-dir", data])
        #expect(newer.status == 1)
        #expect(newer.output.contains("fail  migrations: applied by a newer Portcullis: 9999_from_the_future"), "\(newer.output)")
        let refused = try await CommandRunner.run(["backup", "--data-dir", data, directory + "/future.sqlite"])
        #expect(refused.status == 0, "a backup copies whatever is there")
        let restore = try await CommandRunner.run(["restore", "--data-dir", directory + "/other", directory + "/future.sqlite"])
        #expect(restore.status == 1 && restore.error.contains("newer Portcullis"), "\(restore.error)")
    }

    @Test("doctor on a missing data directory fails")
    func doctorMissing() async throws {
        let result = try await CommandRunner.run(["doctor", "--data-dir", "/nonexistent/portcullis"])
        #expect(result.status == 1)
        #expect(result.output.contains("fail  data directory: /nonexistent/portcullis does not exist"), "\(result.output)")
    }
}
