import Testing

@testable import PortcullisCore
@testable import PortcullisModel

/// The byte-level fast paths of `Validate` (an import runs them on every line) against the rules as they were written
/// before them, kept here as the reference: on every input both give the same value or both refuse it with the same
/// message.
@Suite("Validate: fast paths agree with the reference rules")
struct ValidateFastPathTests {
    /// `Validate.email` before its ASCII fast path.
    static func referenceEmail(_ value: String) throws(PortcullisError) -> String {
        try Validate.identifierTextReference(value, field: "email")
        let email = value.trimmingWhitespace.lowercased()
        let parts = email.utf8.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !email.unicodeScalars.contains(where: \.properties.isWhitespace) else {
            throw .invalidField("email", "must be an address like name@example.com")
        }
        guard email.utf8.count <= Validate.maxEmailLength else { throw .invalidField("email", "must be at most \(Validate.maxEmailLength) bytes") }
        return email
    }

    /// `Validate.mediaKey` before its one-pass check.
    static func referenceMediaKey(_ value: String) -> Bool {
        let allowed = value.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "-"), UInt8(ascii: "/"): true
            default: false
            }
        }
        let segments = value.split(separator: "/", omittingEmptySubsequences: false)
        return !value.isEmpty && value.utf8.count <= Validate.maxMediaKeyLength && allowed
            && !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
    }

    /// Characters that exercise every branch: the email and media key alphabets, capitals, `@`, `/`, `.`, spaces,
    /// controls (C0, DEL, C1), zero-width and bidi controls, non-ASCII letters whose lowercase differs, a combining mark.
    static let alphabet: [String] = [
        "a", "z", "A", "Z", "0", "9", ".", "..", "@", "/", "-", "_", "~", "+", " ", "\t", "\n", "\u{0}", "\u{1F}", "\u{7F}", "\u{85}",
        "\u{9F}", "\u{A0}", "\u{200B}", "\u{202E}", "\u{2066}", "é", "É", "İ", "ß", "\u{301}", "\"", "\\", "%",
    ]

    /// Deterministic strings of 0–12 pieces of `alphabet`, plus long ones near the length limits.
    static func samples(_ count: Int, seed: UInt64) -> [String] {
        var random = SplitMix64(seed: seed)
        var values: [String] = []
        for _ in 0..<count {
            let length = Int.random(in: 0...12, using: &random)
            values.append((0..<length).map { _ in alphabet.randomElement(using: &random)! }.joined())
        }
        values += [
            String(repeating: "a", count: 315) + "@b.co", String(repeating: "a", count: 316) + "@b.co", String(repeating: "A", count: 315) + "@b.co",
            String(repeating: "a/", count: 256), String(repeating: "ab/", count: 170) + "ab", String(repeating: "a", count: 512),
            String(repeating: "a", count: 513), "...", "a/.../b", ".a", "a.", "./a", "a/.", "a/..", "../a",
        ]
        return values
    }

    static func outcome(_ body: () throws(PortcullisError) -> String) -> String {
        do { return "ok " + (try body()) } catch { return "error \(error.message)" }
    }

    @Test("email: the same stored value or the same error as the full rule, on 20,000 generated inputs")
    func email() {
        for value in Self.samples(20_000, seed: 7) {
            #expect(Self.outcome { () throws(PortcullisError) in try Validate.email(value) }
                    == Self.outcome { () throws(PortcullisError) in try Self.referenceEmail(value) }, "\(value.debugDescription)")
        }
    }

    @Test("text and identifier text: the same value or the same error as the scalar-by-scalar rule")
    func text() {
        for value in Self.samples(20_000, seed: 8) {
            #expect(Self.outcome { () throws(PortcullisError) in try Validate.text(value, field: "name") }
                    == Self.outcome { () throws(PortcullisError) in try Validate.textReference(value, field: "name") }, "\(value.debugDescription)")
            #expect(Self.outcome { () throws(PortcullisError) in try Validate.identifierText(value, field: "id") }
                    == Self.outcome { () throws(PortcullisError) in try Validate.identifierTextReference(value, field: "id") },
                    "\(value.debugDescription)")
        }
    }

    @Test("media key: the one-pass check accepts exactly what the segment split accepted")
    func mediaKey() {
        for value in Self.samples(20_000, seed: 9) {
            #expect(((try? Validate.mediaKey(value)) != nil) == Self.referenceMediaKey(value), "\(value.debugDescription)")
        }
    }
}

extension Validate {
    /// `Validate.text` without its ASCII fast path.
    @discardableResult
    static func textReference(_ value: String, field: String) throws(PortcullisError) -> String {
        if let bad = value.unicodeScalars.first(where: isControl) {
            throw .invalidField(field, "must not contain control characters (found U+\(bad.hexCode))")
        }
        return value
    }

    /// `Validate.identifierText` without its ASCII fast path.
    @discardableResult
    static func identifierTextReference(_ value: String, field: String) throws(PortcullisError) -> String {
        try textReference(value, field: field)
        if let bad = value.unicodeScalars.first(where: isInvisible) {
            throw .invalidField(field, "must not contain zero-width or bidirectional control characters (found U+\(bad.hexCode))")
        }
        return value
    }
}
