import Testing

@testable import PortcullisCore
@testable import PortcullisModel

@Suite("Validate")
struct ValidateTests {
    static let goodTimestamps = [
        "2026-01-31T12:00:00Z", "2026-01-31T12:00:00.1Z", "2026-01-31T12:00:00.123Z", "1999-12-31T23:59:59.999999999Z", "2016-12-31T23:59:60Z",
        "2024-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2026-04-30T00:00:00Z",
    ]
    static let badTimestamps = [
        "", "2026-01-31", "2026-01-31 12:00:00Z", "2026-01-31T12:00:00", "2026-01-31T12:00:00+01:00", "2026-01-31T12:00:00.Z",
        "2026-1-31T12:00:00Z", "20260131T120000Z", "2026-01-31T12:00:00.12aZ", "yesterday", "2026-01-31T12:00:00.1234567890Z",
        "2026-0a-31T12:00:00Z", "2026-13-01T12:00:00Z", "2026-00-01T12:00:00Z", "2026-01-00T12:00:00Z", "2026-01-32T12:00:00Z",
        "2026-01-31T24:00:00Z", "2026-01-31T12:60:00Z", "2026-01-31T12:00:61Z",
        // Days the month does not have (found by fuzzing).
        "2026-02-31T23:59:60Z", "2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-31T00:00:00Z",
    ]

    @Test("RFC 3339 UTC timestamps pass unchanged", arguments: goodTimestamps)
    func goodTimestamp(_ value: String) throws {
        #expect(try Validate.timestamp(value, field: "created_at") == value)
    }

    @Test("anything else is an error naming the field", arguments: badTimestamps)
    func badTimestamp(_ value: String) {
        #expect {
            try Validate.timestamp(value, field: "deleted_at")
        } throws: { error in
            guard let error = error as? PortcullisError else { return false }
            return error.code == .invalidField && error.message.hasPrefix("deleted_at:")
        }
    }

    @Test("media keys are 1–512 of [A-Za-z0-9._~/-] forming a relative path without empty, '.' or '..' segments (SPEC 8.1)", arguments: [
        ("a/b.png", true), ("x", true), ("a/b_c-d~e.v2", true), ("/a", false), ("a/../b", false), ("..", false), ("a b", false), ("", false),
        ("a/./b_c-d", false), ("a//b", false), ("a/", false), (".", false), ("a/%2e%2e/b", false), ("a\\b", false), ("a\u{0}b", false),
        ("ü.png", false), (String(repeating: "a", count: 512), true), (String(repeating: "a", count: 513), false),
    ])
    func mediaKey(_ value: String, _ valid: Bool) {
        #expect((try? Validate.mediaKey(value)) == (valid ? value : nil))
    }

    @Test("emails need one @ with text on both sides", arguments: [
        ("a@b", true), ("a@@b", false), ("@b", false), ("a@", false), ("a b@c", false),
        // An @ followed by a combining mark is one Character but still an @ (found by fuzzing); so is whitespace that
        // only a combining mark hides.
        ("a@b@\u{301}c", false), ("@\u{301}a@b", false), ("a \u{301}@b", false),
        (String(repeating: "a", count: 316) + "@b.c", true), (String(repeating: "a", count: 317) + "@b.c", false),
    ])
    func email(_ value: String, _ valid: Bool) {
        #expect((try? Validate.email(value)) == (valid ? value : nil))
    }

    @Test("emails are stored trimmed and lowercased, full Unicode (SPEC 8.1)", arguments: [
        ("  Alice@Example.COM ", "alice@example.com"), ("ÄNNE@Straße.de", "änne@straße.de"), ("ΣΊΣΥΦΟΣ@x.gr", "σίσυφοσ@x.gr"),
    ])
    func emailNormalized(_ value: String, _ stored: String) throws {
        #expect(try Validate.email(value) == stored)
    }

    @Test("the length limit applies to the stored, lowercased form (İ lowercases to two scalars)")
    func emailLengthAfterLowercasing() {
        let value = String(repeating: "İ", count: 150) + "@b.c"
        #expect(value.utf8.count <= Validate.maxEmailLength && value.lowercased().utf8.count > Validate.maxEmailLength)
        #expect(throws: PortcullisError.self) { try Validate.email(value) }
    }

    @Test("control, zero-width and bidi characters in an email are a 400 naming the field", arguments: [
        "a\u{0}x@b.c", "a@b.c\u{0}x", "a\u{1F}@b.c", "a\u{7F}@b.c", "a\u{85}@b.c", "a\u{9F}@b.c", "a\u{200B}@b.c", "a\u{200F}@b.c",
        "a\u{202A}@b.c", "a\u{202E}@b.c", "a\u{2066}@b.c", "a\u{2069}@b.c", "a@b.c\n",
    ])
    func emailInvisible(_ value: String) {
        #expect {
            try Validate.email(value)
        } throws: { error in
            (error as? PortcullisError)?.message.hasPrefix("email:") == true
        }
    }

    @Test("names refuse C0 and C1 control characters, and accept other text", arguments: [
        ("Team ünïcødé 🚀", true), ("tab\there", false), ("nul\u{0}", false), ("c1\u{80}", false), ("del\u{7F}", false), ("zw\u{200B}ok", true),
    ])
    func names(_ value: String, _ valid: Bool) {
        #expect((try? Validate.text(value, field: "name")) == (valid ? value : nil))
    }

    @Test("passwords need at least 8 characters", arguments: [("1234567", false), ("12345678", true)])
    func password(_ value: String, _ valid: Bool) {
        #expect((try? Validate.password(value)) == (valid ? value : nil))
    }

    @Test("a bound or as_of reads as Unix milliseconds that format back to the same instant; fractions past the millisecond are cut")
    func instants() throws {
        for milliseconds: Int64 in [0, 1, 951_782_400_000, 1_709_164_800_999, 1_800_000_000_000, 4_102_444_799_999, 253_402_300_799_999] {
            let text = Timestamp.format(epochMilliseconds: milliseconds)
            #expect(try Validate.instant(text, field: "starts_at") == milliseconds, "\(text)")
        }
        #expect(try Validate.instant("2024-02-29T00:00:00Z", field: "x") == 1_709_164_800_000)
        #expect(try Validate.instant("2030-01-01T00:00:00.5Z", field: "x") == 1_893_456_000_500)
        #expect(try Validate.instant("2030-01-01T00:00:00.123999Z", field: "x") == 1_893_456_000_123)
        #expect(try Validate.instant(nil, field: "x") == nil)
        for bad in ["1969-12-31T23:59:59Z", "9999-12-31T23:59:60Z", "2030-01-01", "2030-01-01T00:00:00+01:00", "2023-02-29T00:00:00Z"] {
            #expect(throws: PortcullisError.self, "\(bad)") { try Validate.instant(bad, field: "x") }
        }
    }
}
