import Testing

@testable import PortcullisCore
@testable import PortcullisCache
@testable import PortcullisStore

/// SPEC 8.2: a logged answer keeps "the explanation of the decision that produced it", even when a cache layer served
/// it. The rule path travels with the cached answer; rendered, it must equal what `explain` returns for the same question.
/// Serialized: each case writes a small database with synchronous commits, and 57 of them at once would only starve
/// the timing tests that share the machine.
@Suite("Rule paths of cached answers", .serialized)
struct CachedRulePathTests {
    @Test("an answer from L1 or L3 carries the rule path whose explanation equals the uncached one",
          arguments: Relationship.all, Visibility.allCases)
    func cachedPathExplainsLikeExplain(_ relationship: Relationship, _ visibility: Visibility) async throws {
        let directory = try await AuthorizationEngineTests.directory(relationship, visibility)
        let file = try CachedDirectory.file(beside: directory)
        let cache = try DecisionCache(configuration: CachedDirectory.firstSighting, versions: directory.versions, file: file)
        let engine = AuthorizationEngine(store: directory.store, cache: cache)
        var questions: [CheckRequest] = []
        for (type, id) in [(ResourceType.generation, "g"), (.project, "p"), (.team, "t")] {
            for action in type.actions { questions.append(CheckRequest(userId: "actor", action: action, resourceType: type, resourceId: id)) }
        }
        var explained: [[RuleOutcome]] = []
        for question in questions {
            var asked = question
            asked.explain = true
            explained.append(try #require(try engine.check(asked).explanation))
            let expected = explained.last
            let first = try engine.check(question)
            #expect(first.rulePath.explanation(action: question.action, resourceType: question.resourceType.rawValue) == expected)
            let cached = try engine.check(question)
            // Answers about absent or deleted resources are never cached.
            #expect(cached.cacheLayer == .l1 || cached.reason == .notFound)
            #expect(cached.rulePath.explanation(action: question.action, resourceType: question.resourceType.rawValue) == expected,
                    "\(question.action.rawValue) on \(question.resourceType.rawValue)")
            // Promoted to L2/L3 on reuse; L3 is what survives a restart.
            _ = try engine.check(question)
        }
        try cache.flush()
        let restarted = AuthorizationEngine(store: directory.store, cache: try DecisionCache(configuration: CachedDirectory.firstSighting,
                                                                                            versions: directory.versions, file: file))
        for (question, expected) in zip(questions, explained) {
            let fromL3 = try restarted.check(question)
            #expect(fromL3.cacheLayer == .l3 || fromL3.reason == .notFound)
            #expect(fromL3.rulePath.explanation(action: question.action, resourceType: question.resourceType.rawValue) == expected)
        }
    }
}
