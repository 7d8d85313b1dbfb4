import Testing

@testable import PortcullisCore

@Suite("ClientAddress and AddressRange")
struct ClientAddressTests {
    static let proxies = [AddressRange("10.0.0.0/8")!, AddressRange("::1")!]

    @Test("ranges: an address with an optional plain-decimal prefix within the address's bits", arguments: [
        ("10.0.0.0/8", true), ("10.1.2.3", true), ("::1/128", true), ("0.0.0.0/0", true), ("2001:db8::/32", true),
        ("10.0.0.0/+8", false), ("10.0.0.0/008", false), ("10.0.0.0/ 8", false), ("10.0.0.0/33", false), ("::1/129", false),
        ("10.0.0.0/", false), ("10.0.0/8", false), ("example.com", false), ("10.0.0.0/8/8", false),
    ])
    func ranges(_ text: String, _ valid: Bool) {
        #expect((AddressRange(text) != nil) == valid)
    }

    @Test("behind a trusted proxy: the right-most entry that is not a trusted proxy", arguments: [
        (["203.0.113.9, 10.0.0.2"], "203.0.113.9"),
        (["198.51.100.1", "203.0.113.9"], "203.0.113.9"),
        (["  203.0.113.9\t"], "203.0.113.9"),
        (["spoofed, 203.0.113.9"], "203.0.113.9"),
        // Malformed entries are not the proxy's writing: nothing past the peer is believed.
        (["203.0 .113.9"], "10.0.0.1"),
        (["203.0.113.9, garbage"], "10.0.0.1"),
        (["10.0.0.3, 10.0.0.2"], "10.0.0.1"),
        ([String](), "10.0.0.1"),
    ])
    func resolve(_ forwardedFor: [String], _ expected: String) {
        #expect(ClientAddress.resolve(peer: "10.0.0.1", forwardedFor: forwardedFor, trusted: Self.proxies) == expected)
    }

    @Test("an untrusted peer's X-Forwarded-For is ignored")
    func untrustedPeer() {
        #expect(ClientAddress.resolve(peer: "203.0.113.7", forwardedFor: ["198.51.100.1"], trusted: Self.proxies) == "203.0.113.7")
        #expect(ClientAddress.resolve(peer: "10.0.0.1", forwardedFor: ["198.51.100.1"], trusted: []) == "10.0.0.1")
    }

    @Test("a long header the client wrote is read from the right only as far as needed")
    func longHeader() {
        // 80 KiB of entries the client made up, then the address the proxy appended.
        let junk = Array(repeating: "1.2.3.4", count: 10_000).joined(separator: ", ")
        #expect(ClientAddress.resolve(peer: "10.0.0.1", forwardedFor: [junk + ", 203.0.113.9"], trusted: Self.proxies) == "203.0.113.9")
    }
}
