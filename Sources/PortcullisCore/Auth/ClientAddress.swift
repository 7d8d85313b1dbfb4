import PortcullisModel
import PortcullisCache
import PortcullisStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address block (`10.0.0.0/8`, `::1/128`, or one address), for `server.trusted_proxies`.
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    let network: [UInt8]
    let prefixLength: Int

    /// Parses `address[/prefix]`; nil when it is neither IPv4 nor IPv6 or the prefix is out of range.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = Self.bytes(String(parts[0])) else { return nil }
        let bits = address.count * 8
        if parts.count == 2 {
            // Plain decimal, the one way prefixes are written: no sign, no leading zero (`/+8` and `/008` are typos).
            let digits = parts[1].utf8
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  digits.count == 1 || digits.first != UInt8(ascii: "0"), let length = Int(parts[1]), (0...bits).contains(length)
            else { return nil }
            prefixLength = length
        } else {
            prefixLength = bits
        }
        network = address
    }

    /// Whether `address` (textual, as the socket layer gives it) lies in this block. An IPv4-mapped IPv6 address
    /// (`::ffff:10.0.0.1`) matches IPv4 blocks.
    public func contains(_ address: String) -> Bool {
        guard var bytes = Self.bytes(address) else { return false }
        if bytes.count == 16, network.count == 4, bytes[0..<12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] { bytes = Array(bytes[12...]) }
        guard bytes.count == network.count else { return false }
        var remaining = prefixLength
        for index in bytes.indices where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            guard bytes[index] & mask == network[index] & mask else { return false }
            remaining -= 8
        }
        return true
    }

    /// `address/prefix` as parsed (host bits are kept, so `10.1.2.3/8` prints as given), e.g. `10.0.0.0/8`.
    public var description: String { "\(Self.text(network))/\(prefixLength)" }

    /// The 4 or 16 bytes of a textual IPv4 or IPv6 address.
    static func bytes(_ text: String) -> [UInt8]? {
        guard !text.isEmpty, text.utf8.count < 64, !text.utf8.contains(0) else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    static func text(_ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Which address a request comes from, for sign-in throttling and logs (SPEC 8.1).
public enum ClientAddress {
    /// The TCP peer; when the peer is a trusted proxy, the right-most `X-Forwarded-For` entry that is not itself a
    /// trusted proxy (entries to its left are whatever the client chose to send, so they are never believed).
    ///
    /// Entries are read from the right and only as far as needed (usually one), so a long header the client wrote
    /// costs nothing; spaces and tabs around an entry are allowed, inside it they make it malformed.
    /// - Parameter forwardedFor: every `X-Forwarded-For` header value, in order.
    public static func resolve(peer: String, forwardedFor: [String], trusted: [AddressRange]) -> String {
        guard !trusted.isEmpty, trusted.contains(where: { $0.contains(peer) }) else { return peer }
        for value in forwardedFor.reversed() {
            var rest = Substring(value)
            while true {
                let comma = rest.utf8.lastIndex(of: UInt8(ascii: ","))
                let hop = trimmed(comma.map { rest[rest.index(after: $0)...] } ?? rest)
                // A malformed entry means the proxy passed on something it did not write: believe nothing past the peer.
                guard AddressRange.bytes(hop) != nil else { return peer }
                if !trusted.contains(where: { $0.contains(hop) }) { return hop }
                guard let comma else { break }
                rest = rest[..<comma]
            }
        }
        return peer
    }

    /// Without the spaces and tabs around it.
    private static func trimmed(_ entry: Substring) -> String {
        let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        let bytes = entry.utf8
        guard let first = bytes.firstIndex(where: { !blank($0) }), let last = bytes.lastIndex(where: { !blank($0) }) else { return "" }
        return String(entry[first...last])
    }
}
