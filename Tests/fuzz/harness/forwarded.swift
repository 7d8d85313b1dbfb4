// Fuzz target `forwarded`: X-Forwarded-For header values and trusted-proxy ranges.
//
// Input, split on `\n`: line 1 is the TCP peer, line 2 a list of `server.trusted_proxies` entries separated by spaces or
// commas (each given to AddressRange(_:)), every further line one X-Forwarded-For header value; bytes are decoded as
// UTF-8 the way header values reach the middleware. ClientAddress.resolve(peer:forwardedFor:trusted:) then runs with
// the fuzzed peer and ranges, and again with trusted peers and the fuzzed ranges plus fixed ones, so that the
// X-Forwarded-For walk is reached even when the fuzzed ranges are junk.
//
// Checks: no crash, trap or AddressSanitizer report; the result is the peer or a syntactically valid IP address taken
// from the headers (whitespace removed), never a trusted proxy, and only when the peer is trusted; a parsed range has 4
// or 16 bytes and a prefix in range, contains its own network address, prints as text that parses back to the same
// range; an IPv4-mapped IPv6 address matches IPv4 ranges exactly as the IPv4 address does.
//
// Built with: Tests/fuzz/harness/common/Invariant.swift + Sources/PortcullisCore/Auth/ClientAddress.swift

let fixedTrusted = ["10.0.0.0/8", "127.0.0.1", "::1/128", "fd00::/8", "192.168.1.0/30"].map { AddressRange($0)! }
let fixedPeers = ["10.1.2.3", "::1", "::ffff:10.9.8.7"]

func checkRange(_ text: String) -> AddressRange? {
    guard let range = AddressRange(text) else { return nil }
    fuzzRequire(range.network.count == 4 || range.network.count == 16, "\(text.quoted): network of \(range.network.count) bytes")
    fuzzRequire((0...range.network.count * 8).contains(range.prefixLength), "\(text.quoted): prefix \(range.prefixLength)")
    let network = AddressRange.text(range.network)
    fuzzRequire(range.contains(network), "\(text.quoted) does not contain its own network address \(network.quoted)")
    let again = AddressRange(range.description)
    fuzzRequire(again == range, "\(text.quoted) prints as \(range.description.quoted), which parses to \(String(describing: again))")
    return range
}

func checkAddress(_ text: String, against ranges: [AddressRange]) {
    guard let bytes = AddressRange.bytes(text) else { return }
    fuzzRequire(bytes.count == 4 || bytes.count == 16, "\(text.quoted): \(bytes.count) address bytes")
    let printed = AddressRange.text(bytes)
    fuzzRequire(AddressRange.bytes(printed) == bytes, "\(text.quoted) prints as \(printed.quoted), which parses differently")
    if bytes.count == 4 {
        let mapped = "::ffff:\(printed)"
        for range in ranges {
            fuzzRequire(range.contains(mapped) == range.contains(text) || range.network.count == 16,
                        "\(range) contains \(text.quoted) and \(mapped.quoted) differently")
        }
    }
}

/// `hops`: every header entry without the spaces and tabs around it, as `resolve` reads them.
func checkResolve(peer: String, forwardedFor: [String], hops: Set<String>, trusted: [AddressRange]) {
    let result = ClientAddress.resolve(peer: peer, forwardedFor: forwardedFor, trusted: trusted)
    if result == peer { return }
    fuzzRequire(AddressRange.bytes(result) != nil, "resolved to \(result.quoted), which is neither the peer nor an IP address")
    fuzzRequire(trusted.contains { $0.contains(peer) }, "believed X-Forwarded-For from untrusted peer \(peer.quoted)")
    fuzzRequire(!trusted.contains { $0.contains(result) }, "resolved to a trusted proxy \(result.quoted)")
    fuzzRequire(hops.contains(result), "resolved to \(result.quoted), which no header entry spells")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: size == 0 ? nil : data, count: size), as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let peer = lines.isEmpty ? "" : lines.removeFirst()
    let rangeLine = lines.isEmpty ? "" : lines.removeFirst()
    let forwardedFor = lines

    let trusted = rangeLine.split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { checkRange(String($0)) }
    let allTrusted = trusted + fixedTrusted
    let hops = Set(forwardedFor.flatMap { value in
        value.split(separator: ",", omittingEmptySubsequences: false).map { entry in
            String(String.UnicodeScalarView(entry.unicodeScalars.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()))
        }
    })
    checkAddress(peer, against: allTrusted)
    for hop in hops { checkAddress(hop, against: allTrusted) }

    checkResolve(peer: peer, forwardedFor: forwardedFor, hops: hops, trusted: trusted)
    for fixedPeer in fixedPeers {
        checkResolve(peer: fixedPeer, forwardedFor: forwardedFor, hops: hops, trusted: allTrusted)
    }
    return 0
}
