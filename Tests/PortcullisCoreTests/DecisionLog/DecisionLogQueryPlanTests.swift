import Foundation
import Testing

@testable import PortcullisCore

/// `GET /api/v1/audit/decisions` never scans the log: every combination of filters is answered through the primary key's
/// range or a filter's postings rows and then one primary-key read per entry, newest first without a sort
/// (checked with `EXPLAIN QUERY PLAN`, as `QueryPlanTests` does).
@Suite("Decision log query plans")
struct DecisionLogQueryPlanTests {
    @Test("every combination of filters uses the key range or the postings, and no temporary sort")
    func noScan() throws {
        let fixture = try DecisionLogTests.Fixture { $0.mode = .all }
        for query in DecisionQuery.allShapes {
            let statements = try fixture.log.queryPlans(query)
            #expect(statements.count == (query == DecisionQuery() ? 1 : 2))
            for (sql, plan) in statements {
                #expect(!plan.isEmpty)
                #expect(plan.allSatisfy { !$0.hasPrefix("SCAN ") }, "\(sql): \(plan)")
                #expect(plan.allSatisfy { !$0.contains("TEMP B-TREE") }, "\(sql): \(plan)")
            }
            let plans = statements.map(\.plan)
            if query != DecisionQuery() {
                #expect(plans[0].count == 1 && plans[0][0].contains("decision_postings USING PRIMARY KEY (hash=? AND last_key>? AND last_key<?)"),
                        "\(plans[0])")
                #expect(plans[1].count == 1 && plans[1][0].contains("INTEGER PRIMARY KEY (rowid=?)"), "\(plans[1])")
            } else {
                #expect(plans[0].count == 1 && plans[0][0].contains("INTEGER PRIMARY KEY (rowid>? AND rowid<?)"), "\(plans[0])")
            }
        }
    }

    @Test("the id lookup is one primary-key read")
    func lookup() throws {
        let fixture = try DecisionLogTests.Fixture()
        let plan = try #require(fixture.log.file).queryPlan("SELECT \(DecisionQuery.columns) FROM decisions WHERE seq = ?1 AND origin = ?2")
        #expect(plan.count == 1 && plan[0].contains("INTEGER PRIMARY KEY"), "\(plan)")
    }
}
