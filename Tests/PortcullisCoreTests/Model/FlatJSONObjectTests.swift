import Testing

@testable import PortcullisModel

/// `FlatJSONObject` may only ever answer what `JSONParser` answers: where it reads an object, the parser reads the
/// same one; where the parser refuses, it refuses too.
@Suite("FlatJSONObject: the flat-object shortcut agrees with JSONParser")
struct FlatJSONObjectTests {
    static func flat(_ text: String) -> [(name: String, value: JSONValue)]? {
        Array(text.utf8).withUnsafeBytes(FlatJSONObject.fields)
    }

    /// Whether the two readings agree on `text` (both refuse, or the shortcut declines, or both read the same object).
    static func agree(_ text: String) -> Bool {
        let parsed = try? JSONParser.parse(Array(text.utf8))
        guard let fields = flat(text) else { return true }
        let object = Dictionary(fields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        return object.count == fields.count && parsed == .object(object)
    }

    @Test("reads flat objects of plain strings, booleans and nulls, in order", arguments: [
        #"{"user_id":"m1","action":"read","resource_type":"generation","resource_id":"g1"}"#,
        "  { \"user_id\" : \"u1\" ,\t\"explain\" : true , \"x\": false, \"y\" : null }  ",
        "{}", " { } ",
    ])
    func reads(_ text: String) throws {
        let fields = try #require(Self.flat(text))
        #expect(Self.agree(text))
        guard case .object(let object)? = try? JSONParser.parse(Array(text.utf8)) else { Issue.record("not an object"); return }
        #expect(fields.count == object.count)
    }

    @Test("declines what it does not read exactly, leaving it to JSONParser", arguments: [
        // Escapes, non-ASCII, numbers, nesting, duplicates, control characters, trailing data, malformed input.
        #"{"a":"b\"c"}"#, #"{"a\u0062":"c"}"#, #"{"é":"x"}"#, #"{"a":"é"}"#, #"{"a":1}"#, #"{"a":[]}"#, #"{"a":{}}"#,
        #"{"a":"x","a":"y"}"#, "{\"a\":\"tab\there\"}", #"{"a":"b"} x"#, #"{"a":"b",}"#, #"{"a" "b"}"#, "{", "", "[]",
        #""s""#, "true", #"{"a":tru}"#, #"{"a":nul}"#, #"{"a":"b""#, "{\"a\":\"\u{7f}\"}",
    ])
    func declines(_ text: String) {
        #expect(Self.flat(text) == nil, "\(text)")
        #expect(Self.agree(text))
    }

    @Test("at most maxFields fields")
    func fieldCap() {
        let fields = (0...FlatJSONObject.maxFields).map { #""f\#($0)":"v""# }
        #expect(Self.flat("{" + fields.dropLast().joined(separator: ",") + "}")?.count == FlatJSONObject.maxFields)
        #expect(Self.flat("{" + fields.joined(separator: ",") + "}") == nil)
    }

    @Test("agrees with JSONParser on thousands of mutated check bodies")
    func differential() {
        let seed = Array(#"{"user_id":"m1","action":"read","resource_type":"generation","resource_id":"g1","explain":true}"#.utf8)
        let alphabet = Array("{}[]:,\"\\ \ttfnaeluxr01é-".utf8)
        var generator = SystemRandomNumberGenerator()
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes = seed
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[index] = alphabet.randomElement(using: &generator)!
                case 1: bytes.insert(alphabet.randomElement(using: &generator)!, at: index)
                default: bytes.remove(at: index)
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if Self.flat(text) != nil { accepted += 1 }
            #expect(Self.agree(text), "disagree on \(text)")
        }
        #expect(accepted > 100, "the mutations hardly ever produced a flat object: \(accepted)")
    }
}
