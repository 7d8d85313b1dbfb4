import Foundation
import NIOCore
import PortcullisCore
import Testing

@testable import PortcullisHTTP

/// The hand-written decision JSON and the digits the fast path writes without `String`s, each against a reference:
/// JSONSerialization for the JSON, `String(describing:)` and the formula for the numbers.
@Suite("Decision JSON")
struct DecisionJSONTests {
    static func object(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    @Test("every field, an explanation with hostile text, as_of and bounded consistency parse back to what was written")
    func roundTrip() throws {
        let hostile = "quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7} unit \u{1F} é 🎉 </script>"
        let decision = Decision(allowed: true, reason: .teamRole(.editor), revision: 9_007_199_254_740_993,
                                explanation: [RuleOutcome(rule: "owner", outcome: .skip, detail: hostile),
                                              RuleOutcome(rule: "team\"membership", outcome: .allow, detail: "")],
                                cacheLayer: .l1)
        var check = CheckRequest(userId: "u", action: .read, resourceType: .generation, resourceId: "g", explain: true)
        check.asOf = 1_767_225_600_123
        check.consistency = .minimizeLatency
        let id = DecisionID(key: 0x0123_4567_89ab_cdef, origin: 0xfeed_beef)
        var buffer = ByteBuffer()
        DecisionJSON.write(decision, id: id, tookMicroseconds: 42, for: check, into: &buffer)
        let json = try Self.object(buffer)
        #expect(json["allowed"] as? Bool == true)
        #expect(json["reason"] as? String == "team_role:editor")
        #expect(json["cache"] as? String == "l1")
        #expect((json["took_us"] as? NSNumber)?.int64Value == 42)
        #expect(String(decoding: buffer.readableBytesView, as: UTF8.self).contains(#""revision":9007199254740993,"#), "exact digits")
        #expect(json["decision_id"] as? String == id.text)
        #expect(json["as_of"] as? String == "2026-01-01T00:00:00.123Z")
        #expect(json["consistency"] as? String == "bounded")
        let steps = try #require(json["explanation"] as? [[String: String]])
        #expect(steps == [["rule": "owner", "outcome": "skip", "detail": hostile], ["rule": "team\"membership", "outcome": "allow", "detail": ""]])
    }

    @Test("a batch keeps the checks' order; without explanation, as_of or bounded the fields are absent")
    func batch() throws {
        let checks = (0..<3).map { CheckRequest(userId: "u\($0)", action: .read, resourceType: .generation, resourceId: "g") }
        let decisions = [Decision(allowed: false, reason: .noGrant, revision: 0), Decision(allowed: true, reason: .admin, revision: 7),
                         Decision(allowed: false, reason: .userInactive, revision: 7)]
        let ids = (0..<3).map { DecisionID(key: Int64($0), origin: 1) }
        var buffer = ByteBuffer()
        DecisionJSON.writeBatch(decisions, ids: ids, tookMicroseconds: 0, for: checks, into: &buffer)
        let results = try #require(try Self.object(buffer)["results"] as? [[String: Any]])
        #expect(results.map { $0["reason"] as? String } == ["no_grant", "admin", "user_inactive"])
        #expect(results.map { $0["decision_id"] as? String } == ids.map(\.text))
        #expect(results.allSatisfy { $0["explanation"] == nil && $0["as_of"] == nil && $0["consistency"] == nil })
    }

    @Test("decimal digits equal String(describing:) from Int64.min to Int64.max")
    func decimals() {
        var samples: [Int64] = [0, 1, -1, 9, 10, 99, 100, 12_345, -12_345, .max, .min, .max - 1, .min + 1]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 { samples.append(Int64.random(in: .min ... .max, using: &generator) >> Int64.random(in: 0...62, using: &generator)) }
        for value in samples {
            var buffer = ByteBuffer()
            buffer.writeDecimal(value)
            #expect(String(buffer: buffer) == String(value), "\(value)")
        }
    }

    @Test("X-Response-Time: microseconds rounded, three decimals of milliseconds")
    func responseTime() {
        let cases: [(Int64, String)] = [(0, "0.000ms"), (499, "0.000ms"), (500, "0.001ms"), (184_000, "0.184ms"), (999_500, "1.000ms"),
                                         (1_234_567, "1.235ms"), (12_000_000_000, "12000.000ms")]
        for (nanoseconds, text) in cases { #expect(ResponseTime.format(nanoseconds: nanoseconds) == text, "\(nanoseconds)") }
    }
}
