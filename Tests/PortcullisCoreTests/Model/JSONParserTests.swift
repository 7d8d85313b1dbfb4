import Foundation
import Testing

@testable import PortcullisCore
@testable import PortcullisModel

@Suite("JSONParser: strict JSON from bytes")
struct JSONParserTests {
    @Test("parses what Foundation parses, to the same values", arguments: [
        #"{"a":"b","n":1.5,"t":true,"f":false,"z":null,"arr":[1,"x",{"k":[]}],"o":{}}"#,
        #"  { "user_id" : "u1" , "explain" : true }  "#,
        #"["\u00e9\u4e2d\ud83d\ude00","a\"b\\c\/d\n\t\r\b\f", -0.5e3, 12, 0, -0]"#,
        #""plain""#, "42", "null",
    ])
    func agreesWithFoundation(_ text: String) throws {
        let ours = try JSONParser.parse(Array(text.utf8))
        let theirs = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        #expect(Self.same(ours, theirs), "\(ours) vs \(theirs)")
    }

    @Test("rejects what is not strict JSON", arguments: [
        "", "{", "}", #"{"a":1,}"#, "[1,]", #"{"a" 1}"#, #"{'a':1}"#, "tru", "01", "1.", "-", "1e", ".5", "NaN",
        #"{"a":1} x"#, #""unterminated"#, "\"tab\tin string\"", #""\x""#, #""\ud800""#, #""\udc00""#, #"{"a":1,"a":2}"#,
    ])
    func rejects(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test("rejects invalid UTF-8 and deep nesting")
    func hostile() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array((String(repeating: "[", count: 100_000)).utf8)) }
        let nested = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        #expect(throws: Never.self) { try JSONParser.parse(Array(nested.utf8)) }
    }

    static func same(_ value: JSONValue, _ other: Any) -> Bool {
        switch value {
        case .null: return other is NSNull
        case .bool(let bool): return (other as? Bool) == bool
        case .number(let number): return (other as? NSNumber)?.doubleValue == number
        case .string(let string): return other as? String == string
        case .array(let items):
            guard let others = other as? [Any], others.count == items.count else { return false }
            return zip(items, others).allSatisfy { same($0, $1) }
        case .object(let fields):
            guard let others = other as? [String: Any], others.count == fields.count else { return false }
            return fields.allSatisfy { key, value in others[key].map { same(value, $0) } ?? false }
        }
    }
}
