import Testing

@testable import PortcullisCore

@Suite("Validate")
struct ValidateTests {
    static let goodTimestamps = [
        "2026-01-31T12:00:00Z", "2026-01-31T12:00:00.1Z", "2026-01-31T12:00:00.123Z", "1999-12-31T23:59:59.999999999Z", "2016-12-31T23:59:60Z",
    ]
    static let badTimestamps = [
        "", "2026-01-31", "2026-01-31 12:00:00Z", "2026-01-31T12:00:00", "2026-01-31T12:00:00+01:00", "2026-01-31T12:00:00.Z",
        "2026-1-31T12:00:00Z", "20260131T120000Z", "2026-01-31T12:00:00.12aZ", "yesterday", "2026-01-31T12:00:00.1234567890Z",
        "2026-0a-31T12:00:00Z", "2026-13-01T12:00:00Z", "2026-00-01T12:00:00Z", "2026-01-00T12:00:00Z", "2026-01-32T12:00:00Z",
        "2026-01-31T24:00:00Z", "2026-01-31T12:60:00Z", "2026-01-31T12:00:61Z",
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
            return error.kind == .invalid && error.code == "invalid_field" && error.message.hasPrefix("deleted_at:")
        }
    }

    @Test("media keys are relative paths without '..'", arguments: [("a/b.png", true), ("x", true), ("/a", false), ("a/../b", false), ("..", false),
                                                                      ("a b", false), ("", false), ("a/./b_c-d", true)])
    func mediaKey(_ value: String, _ valid: Bool) {
        #expect((try? Validate.mediaKey(value)) == (valid ? value : nil))
    }

    @Test("emails need one @ with text on both sides", arguments: [("a@b", true), ("a@@b", false), ("@b", false), ("a@", false), ("a b@c", false)])
    func email(_ value: String, _ valid: Bool) {
        #expect((try? Validate.email(value)) == (valid ? value : nil))
    }

    @Test("passwords need at least 8 characters", arguments: [("1234567", false), ("12345678", true)])
    func password(_ value: String, _ valid: Bool) {
        #expect((try? Validate.password(value)) == (valid ? value : nil))
    }
}
