import Foundation
import Synchronization
import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite
@testable import PortcullisPostgres

/// Makes a fresh, empty store of one backend for each test, and records the commits it announces.
///
/// The conformance suite runs every test once per entry of `StoreConformanceTests.allBackends`; a new backend only adds
/// its factory there.
struct StoreFactory: Sendable, CustomTestStringConvertible {
    var name: String
    /// Opens an empty store that reports its commits to `log`; the folder (if any) is removed with the fixture.
    var open: @Sendable (_ log: CommitLog) throws -> (store: any Store, folder: URL?)

    var testDescription: String { name }

    func make() throws -> StoreFixture {
        let log = CommitLog()
        let (store, folder) = try open(log)
        return StoreFixture(store: store, log: log, folder: folder)
    }

    /// SQLite in a temporary folder, opened the way the server opens it (`synchronous = NORMAL`: durability is not
    /// what this suite is about, and it spares the disk).
    static let sqlite = StoreFactory(name: "SQLite") { log in
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-conformance-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let configuration = StoreConfiguration(path: folder.appendingPathComponent("portcullis.sqlite").path, synchronous: .normal)
        return (try StoreBackend.open(configuration, onCommit: log.append), folder)
    }

    static let memory = StoreFactory(name: "memory") { log in
        (StoreBackend.memory(onCommit: log.append), nil)
    }

    /// PostgreSQL, each store in a new schema of the `PORTCULLIS_TEST_POSTGRES_URL` database; nil when it is unset
    /// (`PostgresStoreTests` then reports the skip).
    static let postgres: StoreFactory? = PostgresTestDatabase.isAvailable ? StoreFactory(name: "PostgreSQL") { log in
        (try StoreBackend.open(.postgres(try PostgresTestDatabase.freshConfiguration()), onCommit: log.append), nil)
    } : nil
}

/// Every commit a store announced, in order.
final class CommitLog: Sendable {
    private let commits = Mutex<[Commit]>([])

    func append(_ commit: Commit) {
        commits.withLock { $0.append(commit) }
    }

    var all: [Commit] { commits.withLock { $0 } }
}

/// One store under test, with short-hands that write through the protocols only.
final class StoreFixture: DirectorySeeding {
    var seeded: any DirectoryStore { store }
    let store: any Store
    let log: CommitLog
    private let folder: URL?

    init(store: any Store, log: CommitLog, folder: URL?) {
        self.store = store
        self.log = log
        self.folder = folder
    }

    deinit {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    /// Decisions straight from the store, without a cache.
    var engine: AuthorizationEngine { AuthorizationEngine(store: store) }

    // MARK: Writes

    // MARK: Checks

    func check(_ userId: String, _ action: Action, _ type: ResourceType, _ id: String) throws -> Decision {
        try engine.check(CheckRequest(userId: userId, action: action, resourceType: type, resourceId: id))
    }

    /// Runs a write that must succeed and checks what it committed: the revision moved by exactly one, and exactly one
    /// commit was announced, at that revision, moving exactly `keys`.
    @discardableResult
    func expectCommit<T>(_ keys: Set<DependencyKey>, sourceLocation: SourceLocation = #_sourceLocation, _ write: () async throws -> T)
        async throws -> T
    {
        let revision = try store.revision()
        let announced = log.all.count
        let value = try await write()
        #expect(try store.revision() == revision + 1, "a write advances the revision by one", sourceLocation: sourceLocation)
        let commits = Array(log.all.dropFirst(announced))
        #expect(commits.count == 1, "one commit per write, announced before it returns: \(commits)", sourceLocation: sourceLocation)
        if let commit = commits.last {
            #expect(commit.revision == revision + 1, sourceLocation: sourceLocation)
            #expect(Set(commit.changed) == keys, "dependencies moved", sourceLocation: sourceLocation)
        }
        return value
    }

    /// Runs a write that must fail with `expected` (code and message) and checks it changed nothing: same revision, no
    /// commit announced.
    func expectFailure<T>(_ expected: PortcullisError, sourceLocation: SourceLocation = #_sourceLocation, _ write: () async throws -> T)
        async throws
    {
        try await expectFailure(expected.code, message: expected.message, sourceLocation: sourceLocation, write)
    }

    /// Runs a write that must fail with `code` (and `message`, when given) and checks it changed nothing.
    func expectFailure<T>(_ code: ErrorCode, message: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                          _ write: () async throws -> T) async throws
    {
        let revision = try store.revision()
        let announced = log.all.count
        do {
            _ = try await write()
            Issue.record("expected \(code.rawValue), the write succeeded", sourceLocation: sourceLocation)
        } catch let error as PortcullisError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            if let message { #expect(error.message == message, sourceLocation: sourceLocation) }
        }
        #expect(try store.revision() == revision, "a failed write leaves the revision", sourceLocation: sourceLocation)
        #expect(log.all.count == announced, "a failed write announces nothing", sourceLocation: sourceLocation)
    }

    /// Every page of a listing, following `nextCursor` (at most 100 pages), checking that every page but the last is full.
    func allPages<T>(limit: Int, sourceLocation: SourceLocation = #_sourceLocation, _ fetch: (PageRequest) async throws -> Page<T>) async throws
        -> [T]
    {
        var items: [T] = []
        var cursor: String?
        for _ in 0..<100 {
            let page = try await fetch(PageRequest(cursor: cursor, limit: limit))
            #expect(page.items.count <= limit, sourceLocation: sourceLocation)
            #expect(page.nextCursor == nil || page.items.count == limit, "a page before the last is full", sourceLocation: sourceLocation)
            items += page.items
            guard let next = page.nextCursor else { return items }
            cursor = next
        }
        Issue.record("more than 100 pages: the cursor does not advance", sourceLocation: sourceLocation)
        return items
    }
}

/// A value read from JSON the way a request body is read (`NewUser(&fields)` normalizes the email, for instance).
func parsed<T>(_ json: String, _ make: (inout FieldReader) throws -> T) throws -> T {
    var fields = try FieldReader(JSONParser.parse(Array(json.utf8)))
    return try make(&fields)
}
