import Foundation
import PortcullisSQLite
import Testing

@testable import PortcullisCore

/// The decision log's postings (per user, resource, type and outcome): their encoding, rows cut at `span`, pages read through them
/// against a model (entries late to their batch, a clock step, every filter and page size), their sweep, a hash shared
/// with another id, and a log written before postings existed.
@Suite("Decision log postings")
struct DecisionPostingsTests {
    @Test("keys round-trip through the varint encoding, whatever their gaps")
    func encoding() {
        let keys: [Int64] = [0, 1, 2, 130, 130 + 16_384, Int64(1) << 40, (Int64(1) << 62) + 5, .max]
        let bytes = DecisionPostings.encode(keys[...])
        #expect(bytes.withUnsafeBytes { DecisionPostings.decode($0) } == keys)
        // A varint cut short ends the list where it starts.
        #expect(bytes.dropLast().withUnsafeBytes { DecisionPostings.decode($0) } == Array(keys.dropLast()))
        #expect([UInt8](repeating: 0xFF, count: 12).withUnsafeBytes { DecisionPostings.decode($0) } == [])
    }

    @Test("a batch's keys are grouped per lookup, sorted, and cut where a row would cover more than the span")
    func builder() {
        var builder = DecisionPostings.Builder()
        let span = DecisionPostings.span
        for key: Int64 in [50, 10, 10 + span, 11 + span, 20 + 3 * span] {
            builder.add(key, user: "u1", resource: nil, type: "team", allowed: true)
        }
        builder.add(7, user: nil, resource: "u1", type: "team", allowed: true)
        let rows = builder.rows().filter { $0.hash != DecisionPostings.hash(.type, "team") && $0.hash != DecisionPostings.hash(.outcome, "allowed") }
        let user = DecisionPostings.hash(.user, "u1"), resource = DecisionPostings.hash(.resource, "u1")
        #expect(Set([user, resource, DecisionPostings.hash(.type, "team"), DecisionPostings.hash(.outcome, "allowed")]).count == 4)
        #expect(builder.rows().count == rows.count + 3 + 3, "the type's and the outcome's keys (7 joins them) cut in three")
        let decoded = rows.map { row in (row.hash, row.lastKey, row.keys.withUnsafeBytes { DecisionPostings.decode($0) }) }
        let expected: [(Int64, Int64, [Int64])] = [(user, 10 + span, [10, 50, 10 + span]), (user, 11 + span, [11 + span]),
                                                   (user, 20 + 3 * span, [20 + 3 * span]), (resource, 7, [7])]
        #expect(decoded.count == expected.count)
        for (row, want) in zip(decoded.sorted { ($0.0, $0.1) < ($1.0, $1.1) }, expected.sorted { ($0.0, $0.1) < ($1.0, $1.1) }) {
            #expect(row.0 == want.0 && row.1 == want.1 && row.2 == want.2)
        }
    }

    /// One logged entry of the model.
    struct Entry {
        var key: Int64
        var user: String
        var resource: String
        var type: ResourceType
        var allowed: Bool

        var record: DecisionRecord {
            let decision = Decision(allowed: allowed, reason: allowed ? .owner : .noGrant, revision: 3,
                                    rulePath: RulePath([.userActive, allowed ? .ownerAllow : .noGrant]))
            return DecisionRecord(id: DecisionID(key: key, origin: 9), revision: 3, caller: DecisionCaller(kind: .apiKey, id: "k1"),
                                  subject: .check(CheckRequest(userId: user, action: .read, resourceType: type, resourceId: resource), decision))
        }
    }

    @Test("pages through postings match a model: late entries, a clock step, every filter, page sizes, cursors, since and until")
    func pagesMatchTheModel() throws {
        let fixture = try DecisionLogTests.Fixture { $0.mode = .all }
        let file = try #require(fixture.log.file)
        var generator = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &generator)
        var random = SplitMix64(seed: seed)
        let base = DecisionID.firstKey(atOrAfter: 1_800_000_000_000)
        // 3,000 entries 2 ms apart (6 s), written in batches of 300, some late by up to 5 batches; a few written 10
        // batches late (a clock that stepped back), which splits their rows.
        var entries: [Entry] = []
        var batches = [[Entry]](repeating: [], count: 20)
        for index in 0..<3_000 {
            let entry = Entry(key: base + Int64(index) << 22, user: "user-\(random.next() % 12)", resource: "res-\(random.next() % 40)",
                              type: random.next() % 4 == 0 ? .project : .generation, allowed: random.next() % 3 == 0)
            entries.append(entry)
            let roll = random.next() % 100
            let batch = index / 300 + (roll < 2 ? 10 : roll < 10 ? Int(random.next() % 6) : 0)
            batches[batch].append(entry)
        }
        for batch in batches where !batch.isEmpty { try file.insert(batch.shuffled(using: &random).map(\.record)) }
        // Written twice: the second copy is ignored and listed nowhere again.
        try file.insert(Array(batches[0].prefix(10)).map(\.record))

        let newestFirst = entries.sorted { $0.key > $1.key }
        var queries: [DecisionQuery] = []
        for shape in DecisionQuery.allShapes {
            for (user, resource) in [("user-3", "res-7"), ("user-11", "res-39"), ("absent", "absent")] {
                var query = shape
                if query.userId != nil { query.userId = user }
                if query.resourceId != nil { query.resourceId = resource }
                if query.resourceType != nil { query.resourceType = "project" }
                if query.allowed != nil { query.allowed = random.next() % 2 == 0 }
                queries.append(query)
            }
        }
        var windowed = DecisionQuery()
        windowed.userId = "user-5"
        (windowed.since, windowed.until) = (DecisionID(key: base + 700 << 22, origin: 0).milliseconds,
                                            DecisionID(key: base + 2_100 << 22, origin: 0).milliseconds)
        queries.append(windowed)

        for var query in queries {
            let expected = newestFirst.filter { entry in
                query.userId.map { entry.user == $0 } ?? true && query.resourceId.map { entry.resource == $0 } ?? true
                    && query.resourceType.map { entry.type.rawValue == $0 } ?? true && query.allowed.map { entry.allowed == $0 } ?? true
                    && query.since.map { entry.key >= DecisionID.firstKey(atOrAfter: $0) } ?? true
                    && query.until.map { entry.key < DecisionID.firstKey(atOrAfter: $0) } ?? true
            }.map { DecisionID(key: $0.key, origin: 9).text }
            for limit in [1, 7, 100, DecisionQuery.maxLimit] {
                query.limit = limit
                query.cursor = nil
                var seen: [String] = []
                while true {
                    let page = try fixture.log.page(query)
                    #expect(page.items.count <= limit)
                    seen += page.items.map(\.decisionId)
                    guard let next = page.nextCursor else { break }
                    query.cursor = Int64(next)
                }
                #expect(seen == expected, "seed \(seed), \(query)")
            }
        }
    }

    @Test("a postings row listing another id's entry (a shared hash) never shows it")
    func sharedHash() throws {
        let fixture = try DecisionLogTests.Fixture { $0.mode = .all }
        let mine = fixture.check("u1", "g1", allowed: false), theirs = fixture.check("u2", "g2", allowed: false)
        try fixture.log.flush()
        let connection = try PreparedConnection(path: fixture.path, busyTimeoutMilliseconds: 5_000, readOnly: false)
        let insert = try connection.statement("INSERT INTO decision_postings (hash, last_key, keys) VALUES (?1, ?2, ?3)")
        insert.bind(1, DecisionPostings.hash(.user, "u1"))
        insert.bind(2, theirs.key + 1)
        insert.bind(3, DecisionPostings.encode([theirs.key][...]))
        try insert.stepToEnd()
        let found = try fixture.entries { $0.userId = "u1" }.map(\.decisionId)
        #expect(found == [mine.text])
    }

    @Test("the retention sweep deletes the postings rows of the entries it deletes")
    func sweep() throws {
        let fixture = try DecisionLogTests.Fixture { ($0.mode, $0.retentionDays) = (.all, 1) }
        for index in 0..<50 { fixture.check("u\(index % 5)", "g\(index)", allowed: false) }
        try fixture.log.flush()
        fixture.clock.advance(seconds: 2 * 86_400)
        let recent = fixture.check("u1", "g1", allowed: false)
        try fixture.log.flush()
        // Per batch: the users, the resources, one type, one outcome.
        #expect(try postingsRows(fixture.path) == (5 + 50 + 2) + (1 + 1 + 2))
        #expect(try fixture.log.sweep() == 50)
        #expect(try postingsRows(fixture.path) == 1 + 1 + 2)
        #expect(try fixture.entries { $0.userId = "u1" }.map(\.decisionId) == [recent.text])
    }

    @Test("after a size-cap sweep every postings row still ends at a kept entry: the rows of deleted entries went")
    func capSweep() throws {
        let fixture = try DecisionLogTests.Fixture { ($0.mode, $0.maxBytes, $0.queueCapacity) = (.all, 128 * 1024, 10_000) }
        for batch in 0..<6 {
            for index in 0..<500 { fixture.check("user-\(batch)-\(index % 50)", "generation-\(batch)-\(index)", allowed: index % 4 == 0) }
            try fixture.log.flush()
            fixture.clock.advance(seconds: 1)
        }
        let before = try postingsRows(fixture.path)
        #expect(try fixture.log.sweep() > 500)
        #expect(try postingsRows(fixture.path) < before)
        let connection = try PreparedConnection(path: fixture.path, busyTimeoutMilliseconds: 5_000, readOnly: true)
        let orphans = try connection.statement("SELECT count(*) FROM decision_postings WHERE last_key NOT IN (SELECT seq FROM decisions)")
        #expect(try orphans.step() && orphans.int64(0) == 0)
        #expect(try fixture.entries { $0.userId = "user-0-1" }.isEmpty)
        #expect(try fixture.entries { $0.userId = "user-5-1" }.count == 10)
    }

    @Test("a log written with the earlier index per filter gets postings for its entries, and the indexes go")
    func earlierLog() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-postings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("decisions.sqlite").path
        let base = DecisionID.firstKey(atOrAfter: 1_800_000_000_000)
        do {
            let connection = try PreparedConnection(path: path, busyTimeoutMilliseconds: 5_000, readOnly: false)
            try connection.execute("PRAGMA journal_mode = WAL")
            try connection.execute("""
                CREATE TABLE decisions (seq INTEGER PRIMARY KEY, origin INTEGER NOT NULL, revision INTEGER NOT NULL, caller_kind TEXT,
                    caller_id TEXT, user_id TEXT, action TEXT NOT NULL, resource_type TEXT NOT NULL, resource_id TEXT,
                    allowed INTEGER NOT NULL, reason TEXT NOT NULL, rules TEXT NOT NULL, client_address TEXT, as_of INTEGER);
                CREATE INDEX decisions_user ON decisions (user_id);
                CREATE INDEX decisions_resource ON decisions (resource_id);
                CREATE INDEX decisions_type ON decisions (resource_type);
                CREATE INDEX decisions_allowed ON decisions (allowed);
                """)
            let insert = try connection.statement("""
                INSERT INTO decisions (seq, origin, revision, user_id, action, resource_type, resource_id, allowed, reason, rules)
                VALUES (?1, 9, 1, ?2, 'read', 'generation', ?3, 0, 'no_grant', '')
                """)
            // 60,000 entries over a day: more than one chunk, rows longer than the span split.
            try connection.execute("BEGIN")
            for index in 0..<60_000 {
                insert.reset()
                insert.bind(1, base + Int64(index) << 30)
                insert.bind(2, "user-\(index % 7)")
                insert.bind(3, "gen-\(index % 1000)")
                try insert.stepToEnd()
            }
            try connection.execute("COMMIT")
        }
        let log = try DecisionLog(configuration: DecisionLogConfiguration(), path: path)
        var query = DecisionQuery()
        query.userId = "user-3"
        query.limit = DecisionQuery.maxLimit
        var keys: [Int64] = []
        while true {
            let page = try log.page(query)
            keys += page.items.map(\.key)
            guard let next = page.nextCursor else { break }
            query.cursor = Int64(next)
        }
        let expected = (0..<60_000).filter { $0 % 7 == 3 }.reversed().map { base + Int64($0) << 30 }
        #expect(keys == expected)
        query = DecisionQuery()
        query.resourceId = "gen-999"
        query.limit = DecisionQuery.maxLimit
        #expect(try log.page(query).items.map(\.key) == (0..<60).reversed().map { base + Int64($0 * 1000 + 999) << 30 })
        let connection = try PreparedConnection(path: path, busyTimeoutMilliseconds: 5_000, readOnly: true)
        let indexes = try connection.statement("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'decisions' ORDER BY name")
        var names: [String] = []
        while try indexes.step() { names.append(indexes.text(0) ?? "") }
        #expect(names == [])
        query = DecisionQuery()
        (query.resourceType, query.allowed, query.limit) = ("generation", false, 5)
        #expect(try log.page(query).items.map(\.key) == (59_995..<60_000).reversed().map { base + Int64($0) << 30 })
    }

    private func postingsRows(_ path: String) throws -> Int64 {
        let connection = try PreparedConnection(path: path, busyTimeoutMilliseconds: 5_000, readOnly: true)
        let count = try connection.statement("SELECT count(*) FROM decision_postings")
        return try count.step() ? count.int64(0) : -1
    }
}
