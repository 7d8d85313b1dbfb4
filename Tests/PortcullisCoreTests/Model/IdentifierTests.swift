import Testing

@testable import PortcullisCore
@testable import PortcullisModel

@Suite("Identifier")
struct IdentifierTests {
    static let valid = ["a", "Z", "0", String(repeating: "x", count: 128), "usr_3f9a", "a.b-c:d_e", "...", "-"]
    static let invalid = ["", String(repeating: "x", count: 129), "a b", "a/b", "a?b", "é", "a\u{0}", "a\nb", "ä", "a@b", "a+b", "'", ".", ".."]

    @Test("1–128 characters of A-Z a-z 0-9 . _ : - are valid", arguments: valid)
    func validIds(_ id: String) {
        #expect(Identifier.isValid(id))
    }

    @Test("empty, too long, any other character, or a dot segment (. and ..) is invalid", arguments: invalid)
    func invalidIds(_ id: String) {
        #expect(!Identifier.isValid(id))
    }

    @Test("generated ids are valid, prefixed and distinct")
    func generated() {
        let ids = (0..<100).map { _ in Identifier.generate(prefix: "gen") }
        #expect(ids.allSatisfy { Identifier.isValid($0) && $0.hasPrefix("gen_") && $0.count == 4 + 32 })
        #expect(Set(ids).count == ids.count)
    }
}
