import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

@Suite("Query registry: statement figures, the prepared-statement cache, plans and recommendations")
struct QueryRegistryTests {
    @Test("every authorization statement is registered as critical, with its plan using an index")
    func authorizationStatementsAreCritical() throws {
        let directory = try TestDirectory()
        let reports = directory.store.statements().queries
        for (name, _) in AuthorizationQueries.all {
            let report = try #require(reports.first { $0.name == "authz.\(name)" })
            #expect(report.queryClass == .critical)
            #expect(report.usesIndex == true, "\(name): \(report.plan)")
            #expect(report.scans.isEmpty)
        }
        #expect(reports.filter { $0.name.hasPrefix("listing.") }.allSatisfy { $0.queryClass == .critical && $0.usesIndex == true })
    }

    @Test("calls are counted per statement: N evaluated team checks run the team decision's statement N times")
    func callsCounted() async throws {
        let directory = try TestDirectory()
        try await directory.user("u1")
        let before = directory.store.queries.all.first { $0.name == "authz.decide_team" }!.callCount
        for _ in 0..<7 {
            _ = try directory.engine.check(CheckRequest(userId: "u1", action: .read, resourceType: .team, resourceId: "none"))
        }
        let entry = directory.store.queries.all.first { $0.name == "authz.decide_team" }!
        #expect(entry.callCount - before == 7)
        #expect(entry.summary.count >= 7)
        let cache = directory.store.queries.statementCache
        #expect(cache.capacity == 500)
        #expect(cache.hits > 0 && cache.hitRate > 0)
    }

    @Test("statementFigures: the same calls without plans, with the total time the Prometheus summary sums")
    func figuresWithoutPlans() async throws {
        let directory = try TestDirectory()
        try await directory.user("u1")
        let entry = directory.store.queries.all.first { $0.name == "authz.decide_team" }!
        let (calls, total) = (entry.callCount, entry.totalNanoseconds)
        for _ in 0..<3 {
            _ = try directory.engine.check(CheckRequest(userId: "u1", action: .read, resourceType: .team, resourceId: "none"))
        }
        #expect(entry.callCount - calls == 3)
        #expect(entry.totalNanoseconds > total, "three executions take some time")
        let figures = directory.store.statementFigures()
        let subject = try #require(figures.statements.first { $0.name == "authz.decide_team" })
        #expect(subject.calls == entry.callCount && subject.totalNanoseconds == entry.totalNanoseconds && subject.queryClass == .critical)
        #expect(figures.statements.map(\.name) == directory.store.statements().queries.map(\.name))
        #expect(figures.statementCache.capacity == 500)
    }

    @Test("the statement cache keeps at most its capacity per connection, evicting the least recently used")
    func capacity() throws {
        let directory = try TestDirectory()
        let registry = QueryRegistry(statementCacheCapacity: 3)
        let connection = try PreparedConnection(path: directory.path, busyTimeoutMilliseconds: 1000, registry: registry)
        for value in 1...5 {
            let statement = try connection.statement("SELECT \(value)")
            _ = try statement.step()
            connection.resetActive()
        }
        _ = try connection.statement("SELECT 5")
        connection.resetActive()
        let report = registry.statementCache
        #expect(report.size == 3)
        #expect(report.evictions == 2)
        #expect(report.misses == 5)
        #expect(report.hits == 1)
    }

    @Test("a statement that scans a table gets an index recommendation naming its filtered columns")
    func recommendation() throws {
        let directory = try TestDirectory()
        directory.store.queries.register("test.by_media_key", "SELECT g.id FROM generations g WHERE g.media_key = ?1", class: .normal)
        let statements = directory.store.statements(); let (reports, recommendations) = (statements.queries, statements.recommendations)
        let report = try #require(reports.first { $0.name == "test.by_media_key" })
        #expect(report.usesIndex == false)
        #expect(report.scans == ["g"])
        let recommendation = try #require(recommendations.first { $0.statement == "test.by_media_key" })
        #expect(recommendation.table == "generations")
        #expect(recommendation.columns == ["media_key"])
        #expect(recommendation.suggestion.contains("CREATE INDEX"))
    }

    @Test("plan analysis", arguments: [
        (["SEARCH users USING PRIMARY KEY (id=?)"], true, [String]()),
        (["SCAN generations"], false, ["generations"]),
        (["SCAN g USING INDEX generations_owner"], true, []),
        (["SCAN CONSTANT ROW"], nil, []),
        ([String](), nil, []),
    ] as [([String], Bool?, [String])])
    func analysis(plan: [String], usesIndex: Bool?, scans: [String]) {
        let result = SQLiteStore.analyze(plan: plan)
        #expect(result.usesIndex == usesIndex)
        #expect(result.scans == scans)
    }
}
