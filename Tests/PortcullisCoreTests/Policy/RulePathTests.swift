import Testing

@testable import PortcullisPolicy
@testable import PortcullisModel

/// `RulePath`: the compact rule path every decision carries, its text form (cache payloads, the decision log) and the
/// explanation rendered from it.
@Suite("Rule paths")
struct RulePathTests {
    @Test("every step, role, visibility and team survives the text form", arguments: RuleStep.allCases)
    func roundTrip(_ step: RuleStep) throws {
        for (role, visibility, team) in [(TeamRole?.none, Visibility?.none, String?.none), (.editor, .team, "t1"), (.owner, .public, "a.b:c-d_e"),
                                         (.viewer, .private, "a-team-id-longer-than-fifteen-bytes")] {
            let path = RulePath([.userActive, step, .noGrant], role: role, visibility: visibility, teamId: team)
            let decoded = try #require(RulePath(encoded: Substring(path.encoded)), "\(path.encoded)")
            #expect(decoded == path && decoded.steps == [.userActive, step, .noGrant])
        }
    }

    @Test("a path holds at most the eight rules of the evaluation order")
    func capacity() {
        var path = RulePath()
        for _ in 0..<10 { path.append(.adminSkip) }
        #expect(path.count == RulePath.capacity && path.steps.count == 8)
        #expect(RulePath(encoded: Substring(path.encoded)) == path)
    }

    @Test("text it did not write does not decode", arguments: ["", "BEGH", "BEGH.", "BEGH.-", "BEGH.x-", "BEGH.-x", "\u{1}.--", "BEGHBEGHB.--"])
    func rejects(_ text: String) {
        #expect(RulePath(encoded: Substring(text)) == nil)
    }

    @Test("an owner's path reads as the explanation explain returns")
    func explanation() {
        let path = RulePath([.userActive, .generationExists, .adminSkip, .ownerAllow])
        #expect(path.encoded == "BEGH.--")
        #expect(path.explanation(action: .download, resourceType: "generation") == [
            RuleOutcome(rule: "user_active", outcome: .skip, detail: "user is active"),
            RuleOutcome(rule: "resource_exists", outcome: .skip, detail: "generation exists"),
            RuleOutcome(rule: "admin", outcome: .skip, detail: "user is not an administrator"),
            RuleOutcome(rule: "owner", outcome: .allow, detail: "user owns the generation"),
        ])
        let member = RulePath([.userActive, .generationExists, .adminSkip, .ownerSkip, .projectOwnerSkip, .roleGrants], role: .viewer, teamId: "t1")
        #expect(member.encoded == "BEGIQZ.v-t1")
        #expect(member.explanation(action: .read, resourceType: "generation").last?.detail == "role viewer in team 't1' grants read")
    }
}
