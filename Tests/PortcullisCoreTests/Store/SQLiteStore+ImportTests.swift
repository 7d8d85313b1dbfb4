import Foundation
import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

/// NDJSON import: every line stored in one transaction, or nothing at all with the bad lines named.
@Suite("SQLiteStore import")
struct SQLiteStoreImportTests {
    static let hasher = PasswordHasher(iterations: 1000)
    static let bobPassword = "bob's long password"
    static let bobHash = hasher.hash(bobPassword)

    static let goodLines = [
        #"{"type":"user","id":"alice","email":"alice@example.com","display_name":"Alice","password":"correct horse battery"}"#,
        #"{"type":"user","id":"bob","email":"bob@example.com","password_hash":"\#(bobHash)"}"#,
        #"{"type":"user","id":"root","email":"root@example.com","is_admin":true}"#,
        #"{"type":"team","id":"t1","name":"Studio","owner_id":"alice","created_at":"2026-01-31T12:00:00Z"}"#,
        "",
        #"{"type":"member","team_id":"t1","user_id":"bob","role":"viewer","permissions":["delete"]}"#,
        #"{"type":"project","id":"p1","name":"Shared","owner_id":"alice","team_id":"t1","visibility":"team"}"#,
        #"{"type":"generation","id":"g1","owner_id":"alice","project_id":"p1","status":"completed","media_key":"a/b.png"}"#,
        #"{"type":"generation","id":"g2","owner_id":"bob","created_at":"2026-01-31T12:00:00.250Z"}"#,
        #"{"type":"generation","id":"g3","owner_id":"alice","deleted_at":"2026-02-01T00:00:00Z"}"#,
    ]

    /// Lines numbered from 1, as `LineReader` numbers them.
    static func numbered(_ lines: [String]) -> [(line: Int, text: Substring?)] {
        lines.enumerated().map { (line: $0.offset + 1, text: Substring($0.element)) }
    }

    @Test("a good import stores every entity and reports counts")
    func goodImport() async throws {
        let directory = try TestDirectory()
        let revision = try directory.store.revision()
        let written = try directory.store.importRecords(from: Self.numbered(Self.goodLines), hasher: Self.hasher)
        var expected = ImportCounts()
        (expected.users, expected.teams, expected.members, expected.projects, expected.generations) = (3, 1, 1, 1, 3)
        #expect(written.value == expected)
        #expect(written.revision == revision + 1)
        #expect(try directory.store.revision() == written.revision)

        let team = try await directory.store.team("t1")
        #expect(team.createdAt == "2026-01-31T12:00:00Z" && team.ownerId == "alice")
        #expect(try await directory.store.members(teamId: "t1").map(\.userId) == ["alice", "bob"])
        #expect(try await directory.store.generation("g1").mediaKey == "a/b.png")
        await #expect(throws: PortcullisError.notFound("generation", "g3")) { try await directory.store.generation("g3") }

        #expect(try directory.check("bob", .delete, .generation, "g1").reason.code == "team_permission:delete")
        #expect(try directory.check("bob", .update, .generation, "g1").reason.code == "no_grant")
        #expect(try directory.check("root", .update, .generation, "g2").reason.code == "admin")
        #expect(try directory.check("alice", .read, .generation, "g3").reason.code == "not_found")
    }

    @Test("imported passwords are hashed, imported PHC strings are kept as given")
    func passwords() async throws {
        let directory = try TestDirectory()
        _ = try directory.store.importRecords(from: Self.numbered(Self.goodLines), hasher: Self.hasher)
        let bob = try #require(try directory.store.userCredentials(email: "BOB@example.com"))
        #expect(bob.user.id == "bob")
        #expect(bob.passwordHash == Self.bobHash)
        #expect(PasswordHasher.verify(Self.bobPassword, against: try #require(bob.passwordHash)))
        #expect(!PasswordHasher.verify("not bob's password", against: try #require(bob.passwordHash)))

        let alice = try #require(try directory.store.userCredentials(email: "alice@example.com"))
        let aliceHash = try #require(alice.passwordHash)
        #expect(aliceHash.hasPrefix("$pbkdf2-sha256$i=1000$"))
        #expect(PasswordHasher.verify("correct horse battery", against: aliceHash))
        #expect(!PasswordHasher.verify("correct horse battery!", against: aliceHash))
        let root = try #require(try directory.store.userCredentials(email: "root@example.com"))
        #expect(root.passwordHash == nil)
    }

    @Test("lines read from a file through LineReader import the same way")
    func fromFile() throws {
        let directory = try TestDirectory()
        let file = directory.folder.appendingPathComponent("import.ndjson")
        try Self.goodLines.joined(separator: "\r\n").write(to: file, atomically: true, encoding: .utf8)
        let written = try directory.store.importRecords(from: LineReader(path: file.path), hasher: Self.hasher)
        #expect(written.value.users == 3 && written.value.generations == 3)
    }

    @Test("a line of a file that is not valid UTF-8 rejects the import, naming the line (never read as U+FFFD)")
    func invalidUTF8InFile() throws {
        let directory = try TestDirectory()
        let file = directory.folder.appendingPathComponent("import.ndjson")
        var bytes = Array(Self.goodLines.prefix(2).joined(separator: "\n").utf8) + [0x0A]
        // A Latin-1 "é" (0xE9) where UTF-8 needs two bytes.
        bytes += Array(#"{"type":"team","id":"t9","name":"Caf"#.utf8) + [0xE9] + Array(#"","owner_id":"alice"}"#.utf8) + [0x0A]
        try Data(bytes).write(to: file)
        let error = try #require(throws: PortcullisError.self) {
            try directory.store.importRecords(from: LineReader(path: file.path), hasher: Self.hasher)
        }
        #expect(error.code == .invalidImport && error.details?.map(\.line) == [3] && error.details?.first?.message == "not valid UTF-8")
        #expect(try directory.store.revision() == 0)
    }

    struct BadLine: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        /// A word the line's error message must contain.
        var mentions: String
        var testDescription: String { name }
    }

    static let badLines = [
        BadLine(name: "unknown reference", text: #"{"type":"generation","id":"g9","owner_id":"nobody"}"#, mentions: "owner_id"),
        BadLine(name: "unknown team in a membership", text: #"{"type":"member","team_id":"t9","user_id":"bob","role":"viewer"}"#,
                mentions: "team_id"),
        BadLine(name: "duplicate id", text: #"{"type":"user","id":"alice","email":"other@example.com"}"#, mentions: "alice"),
        BadLine(name: "duplicate email", text: #"{"type":"user","id":"alice2","email":"ALICE@example.com"}"#, mentions: "email"),
        BadLine(name: "bad JSON", text: #"{"type":"user","id":"#, mentions: "JSON"),
        BadLine(name: "not an object", text: #"["user"]"#, mentions: "object"),
        BadLine(name: "unknown type", text: #"{"type":"robot","id":"r1"}"#, mentions: "type"),
        BadLine(name: "missing type", text: #"{"id":"r1"}"#, mentions: "type"),
        BadLine(name: "unknown field", text: #"{"type":"project","id":"p9","name":"P","owner_id":"alice","colour":"red"}"#, mentions: "colour"),
        BadLine(name: "bad id", text: #"{"type":"project","id":"p 9","name":"P","owner_id":"alice"}"#, mentions: "id"),
        BadLine(name: "bad timestamp", text: #"{"type":"team","id":"t9","name":"T","owner_id":"alice","created_at":"yesterday"}"#,
                mentions: "created_at"),
        BadLine(name: "team permission as extra permission",
                text: #"{"type":"member","team_id":"t1","user_id":"root","role":"viewer","permissions":["manage_members"]}"#,
                mentions: "permissions"),
        BadLine(name: "unsupported password hash", text: #"{"type":"user","id":"u9","email":"u9@example.com","password_hash":"$argon2id$v=19$x"}"#,
                mentions: "password_hash"),
    ]

    @Test("one bad line rejects the whole import, naming the line, and stores nothing", arguments: badLines)
    func badLine(_ bad: BadLine) async throws {
        let directory = try TestDirectory()
        try await directory.user("existing")
        let countsBefore = try directory.rowCounts()
        let revisionBefore = try directory.store.revision()

        var lines = Self.goodLines
        lines.insert(bad.text, at: 6)
        let error = try #require(throws: PortcullisError.self) {
            try directory.store.importRecords(from: Self.numbered(lines), hasher: Self.hasher)
        }
        #expect(error.code.status == 422)
        #expect(error.code == .invalidImport)
        let details = try #require(error.details)
        #expect(details.map(\.line) == [7])
        #expect(details.first?.message.contains(bad.mentions) == true, "\(details)")

        #expect(try directory.rowCounts() == countsBefore)
        #expect(try directory.store.revision() == revisionBefore)
        await #expect(throws: PortcullisError.self) { try await directory.store.user("alice") }
        #expect(try directory.check("existing", .read, .team, "t1").reason.code == "not_found")
    }

    @Test("a line refused by a constraint leaves the prepared inserts ready for the next lines; each error worded as a single write's")
    func constraintErrorsThenGoodLines() async throws {
        let directory = try TestDirectory()
        let lines = [
            #"{"type":"user","id":"alice","email":"alice@example.com"}"#,
            #"{"type":"user","id":"alice","email":"alice2@example.com"}"#,
            #"{"type":"user","id":"alice3","email":"Alice@Example.com"}"#,
            #"{"type":"user","id":"bob","email":"bob@example.com"}"#,
            #"{"type":"team","id":"t1","name":"T","owner_id":"alice"}"#,
            #"{"type":"team","id":"t1","name":"T again","owner_id":"bob"}"#,
            #"{"type":"member","team_id":"t1","user_id":"bob","role":"viewer"}"#,
            #"{"type":"project","id":"p1","name":"P","owner_id":"bob","team_id":"t1"}"#,
            #"{"type":"project","id":"p1","name":"P again","owner_id":"bob"}"#,
            #"{"type":"generation","id":"g1","owner_id":"bob","project_id":"p1"}"#,
            #"{"type":"generation","id":"g1","owner_id":"alice"}"#,
            #"{"type":"generation","id":"g2","owner_id":"alice","status":"completed","media_key":"m/g2.png"}"#,
        ]
        let error = try #require(throws: PortcullisError.self) {
            try directory.store.importRecords(from: Self.numbered(lines), hasher: Self.hasher)
        }
        #expect(error.details?.map(\.line) == [2, 3, 6, 9, 11])
        #expect(error.details?.map(\.message) == [
            "user 'alice' already exists", "email 'alice@example.com' is already in use", "team 't1' already exists",
            "project 'p1' already exists", "generation 'g1' already exists",
        ])
        #expect(try directory.rowCounts().values.allSatisfy { $0 == 0 })

        // The same conflicts through single writes read the same.
        _ = try await directory.store.createUser(NewUser(id: "alice", email: "alice@example.com"), passwordHash: nil)
        let single = await #expect(throws: PortcullisError.self) {
            try await directory.store.createUser(NewUser(id: "alice", email: "alice2@example.com"), passwordHash: nil)
        }
        #expect(single?.message == error.details?.first?.message)

        // Without the refused lines, every row is stored with the values its line gave.
        let good = [lines[3], lines[4], lines[6], lines[7], lines[9], lines[11]]
        let counts = try directory.store.importRecords(from: Self.numbered(good), hasher: Self.hasher).value
        #expect(counts.users == 1 && counts.teams == 1 && counts.members == 1 && counts.projects == 1 && counts.generations == 2)
        let members = try await directory.store.members(teamId: "t1")
        #expect(members.map { "\($0.userId) \($0.role.rawValue) \($0.isActive)" } == ["alice owner true", "bob viewer true"])
        let g2 = try await directory.store.generation("g2")
        #expect(g2.ownerId == "alice" && g2.status == .completed && g2.mediaKey == "m/g2.png" && g2.projectId == nil && g2.deletedAt == nil)
        let p1 = try await directory.store.project("p1")
        #expect(p1.teamId == "t1" && p1.name == "P" && p1.visibility == .private)
    }

    @Test("every bad line is reported, in order")
    func severalBadLines() throws {
        let directory = try TestDirectory()
        var lines = Self.goodLines
        lines.insert(Self.badLines[0].text, at: 2)
        lines.append(Self.badLines[4].text)
        let error = try #require(throws: PortcullisError.self) {
            try directory.store.importRecords(from: Self.numbered(lines), hasher: Self.hasher)
        }
        #expect(error.details?.map(\.line) == [3, lines.count])
        #expect(try directory.rowCounts().values.allSatisfy { $0 == 0 })
    }
}
