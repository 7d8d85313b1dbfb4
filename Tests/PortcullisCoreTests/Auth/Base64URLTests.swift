import Testing

@testable import PortcullisCore
@testable import PortcullisModel

@Suite("Base64URL")
struct Base64URLTests {
    @Test("known vectors (RFC 4648, URL alphabet, no padding)", arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func vectors(_ plain: String, _ encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test("the URL alphabet replaces + and /")
    func urlAlphabet() {
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
    }

    @Test("round trip of every length up to 64", arguments: 0...64)
    func roundTrip(_ length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ length) }
        let encoded = Base64URL.encode(bytes)
        #expect(!encoded.contains("=") && !encoded.contains("+") && !encoded.contains("/"))
        #expect(Base64URL.decode(encoded) == bytes)
    }

    @Test("characters outside the alphabet are rejected", arguments: ["Zm9v=", "Zm+v", "Zm/v", "Zm v", "é"])
    func invalid(_ text: String) {
        #expect(Base64URL.decode(text) == nil)
    }
}
