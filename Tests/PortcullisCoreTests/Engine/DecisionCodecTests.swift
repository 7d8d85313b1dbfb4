import Testing

@testable import PortcullisCore

/// The cache payload of a decision, read back byte by byte on every cache hit: every reason and rule path it can hold
/// survives it, and text it did not write is refused (the entry is then recomputed).
@Suite("Decision codec")
struct DecisionCodecTests {
    static let reasons: [Reason] = [.userInactive, .notFound, .admin, .owner, .projectOwner, .publicProject, .noGrant]
        + TeamRole.allCases.map(Reason.teamRole) + Action.allCases.map(Reason.teamPermission)

    @Test("every reason, with paths naming a role, a visibility, a team and a time bound, round-trips")
    func roundTrip() throws {
        let paths = [RulePath(), RulePath([.userActive, .generationExists, .adminSkip, .ownerAllow]),
                     RulePath([.userActive, .roleGrants], role: .viewer, visibility: .team, teamId: "team-ü-1"),
                     RulePath([.userActive, .noGrant], role: .editor, visibility: .private, teamId: "t1", bound: 1_767_225_600_123),
                     RulePath([.userActive], bound: -5)]
        for reason in Self.reasons {
            #expect(Reason(code: reason.code) == reason)
            for path in paths {
                for allowed in [true, false] {
                    let decision = Decision(allowed: allowed, reason: reason, revision: 0, rulePath: path)
                    let decoded = try #require(DecisionCodec.decode(DecisionCodec.encode(decision)), "\(DecisionCodec.encode(decision))")
                    #expect(decoded.allowed == allowed && decoded.reason == reason && decoded.rulePath == path)
                }
            }
        }
    }

    @Test("text it did not write is refused", arguments: ["", "1|", "1|owner", "1|owner|", "1|nobody|BEGH.--", "1|team_role:king|BEGH.--",
                                                           "0|no_grant|BEGH.-", "0|no_grant|BEGH.--@x", "1|no_grant_|BEGH.--", "1|owne|BEGH.--"])
    func refused(_ payload: String) {
        #expect(DecisionCodec.decode(payload) == nil)
    }
}
