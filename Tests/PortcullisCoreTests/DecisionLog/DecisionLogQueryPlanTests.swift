import Foundation
import Testing

@testable import PortcullisCore

/// `GET /api/v1/audit/decisions` never scans the log: every combination of filters is answered through the primary key's
/// range or one index, newest first without a sort (checked with `EXPLAIN QUERY PLAN`, as `QueryPlanTests` does).
@Suite("Decision log query plans")
struct DecisionLogQueryPlanTests {
    @Test("every combination of filters uses the key range or an index, and no temporary sort")
    func noScan() throws {
        let fixture = try DecisionLogTests.Fixture { $0.mode = .all }
        for query in DecisionQuery.allShapes {
            let plan = try fixture.log.queryPlan(query)
            #expect(!plan.isEmpty)
            #expect(plan.allSatisfy { !$0.hasPrefix("SCAN ") }, "\(query.statement().sql): \(plan)")
            #expect(plan.allSatisfy { !$0.contains("TEMP B-TREE") }, "\(query.statement().sql): \(plan)")
            let leading = query.userId != nil ? "decisions_user" : query.resourceId != nil ? "decisions_resource"
                : query.resourceType != nil ? "decisions_type" : query.allowed != nil ? "decisions_allowed" : "INTEGER PRIMARY KEY"
            #expect(plan.contains { $0.contains(leading) }, "\(query.statement().sql): \(plan)")
        }
    }

    @Test("the id lookup is one primary-key read")
    func lookup() throws {
        let fixture = try DecisionLogTests.Fixture()
        let plan = try #require(fixture.log.file).queryPlan("SELECT \(DecisionQuery.columns) FROM decisions WHERE seq = ?1 AND origin = ?2")
        #expect(plan.count == 1 && plan[0].contains("INTEGER PRIMARY KEY"), "\(plan)")
    }
}
