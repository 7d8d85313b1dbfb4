import Testing

@testable import PortcullisCache

@Suite("Cache keys")
struct CacheKeyTests {
    @Test("a key built from parts is the key of its parts joined by U+001F, for ASCII, non-ASCII, empty and long parts")
    func parts() {
        let cases: [(String, String, String, String)] = [
            ("u1", "generation", "g1", "read"),
            ("", "", "", ""),
            ("ünïcødé-user", "project", "📁-42", "download"),
            (String(repeating: "a", count: 200), "team", String(repeating: "z", count: 15), "update"),
        ]
        for (first, second, third, fourth) in cases {
            for namespace in CacheKey.Namespace.allCases {
                let key = CacheKey(namespace, first, second, third, fourth)
                #expect(key == CacheKey(namespace, [first, second, third, fourth].joined(separator: "\u{1F}")))
                #expect(Array(key.rawValue.utf8) == Array("\(namespace.rawValue)\u{1F}\(first)\u{1F}\(second)\u{1F}\(third)\u{1F}\(fourth)".utf8))
            }
        }
    }
}
