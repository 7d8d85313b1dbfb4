/// Field rules shared by requests and import lines.
public enum Validate {
    /// Longest accepted media key, in bytes.
    public static let maxMediaKeyLength = 512

    /// Longest stored email, in UTF-8 bytes (after lowercasing, which can lengthen a string: `İ` becomes `i̇`).
    public static let maxEmailLength = 320

    /// Trims and lowercases (full Unicode) an email once, as it is stored and compared everywhere (SPEC 8.1), and checks
    /// its shape: one `@` (counted in bytes: an `@` followed by a combining mark is still an `@`) with text on both
    /// sides, no whitespace, no control, zero-width or bidi characters, at most `maxEmailLength` bytes as stored.
    public static func email(_ value: String) throws(PortcullisError) -> String {
        if isStoredASCIIEmail(value) { return value }
        let email = try normalizedEmail(value)
        let parts = email.utf8.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !email.unicodeScalars.contains(where: \.properties.isWhitespace) else {
            throw .invalidField("email", "must be an address like name@example.com")
        }
        guard email.utf8.count <= maxEmailLength else { throw .invalidField("email", "must be at most \(maxEmailLength) bytes") }
        return email
    }

    /// Whether `value` is already an accepted email in its stored form, judged on its bytes alone: printable ASCII
    /// without space or capitals, exactly one `@` with text on both sides, at most `maxEmailLength` bytes. `email(_:)`
    /// returns such a value unchanged (nothing to trim, lowercase or refuse) without decoding it; any other value takes
    /// the full path, which decides and words the error.
    static func isStoredASCIIEmail(_ value: String) -> Bool {
        var count = 0, at = -1
        for byte in value.utf8 {
            guard byte > 0x20, byte < 0x7F, !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) else { return false }
            if byte == UInt8(ascii: "@") {
                guard at < 0 else { return false }
                at = count
            }
            count += 1
        }
        return at > 0 && at < count - 1 && count <= maxEmailLength
    }

    /// Whether every byte is printable ASCII (U+0020–U+007E): such text has no control, zero-width or bidi character,
    /// so the checks below need not decode it.
    static func isPrintableASCII(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// The stored form of an email as typed at sign-in: trimmed and lowercased, refusing invisible characters, without
    /// judging its shape (a malformed address simply matches no account).
    public static func normalizedEmail(_ value: String, field: String = "email") throws(PortcullisError) -> String {
        try identifierText(value, field: field)
        return value.trimmingWhitespace.lowercased()
    }

    /// Free text (names): no C0 or C1 control characters.
    @discardableResult
    public static func text(_ value: String, field: String) throws(PortcullisError) -> String {
        if isPrintableASCII(value) { return value }
        if let bad = value.unicodeScalars.first(where: isControl) {
            throw .invalidField(field, "must not contain control characters (found U+\(bad.hexCode))")
        }
        return value
    }

    /// Text that identifies something (emails, ids): no control characters and no zero-width or bidi controls, which
    /// would make two values look alike or cut a value short in another system.
    @discardableResult
    public static func identifierText(_ value: String, field: String) throws(PortcullisError) -> String {
        if isPrintableASCII(value) { return value }
        try text(value, field: field)
        if let bad = value.unicodeScalars.first(where: isInvisible) {
            throw .invalidField(field, "must not contain zero-width or bidirectional control characters (found U+\(bad.hexCode))")
        }
        return value
    }

    /// C0 (U+0000–U+001F), DEL and C1 (U+007F–U+009F).
    package static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// Zero-width and bidi controls: U+200B–U+200F, U+202A–U+202E, U+2066–U+2069.
    package static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        (0x200B...0x200F).contains(scalar.value) || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
    }

    /// A new password: at least 8 characters (counted as grapheme clusters, not bytes); no other rule is imposed.
    public static func password(_ value: String) throws(PortcullisError) -> String {
        guard value.count >= 8 else { throw .invalidField("password", "must be at least 8 characters") }
        return value
    }

    /// Media keys become URL paths: 1–512 characters of `A-Z a-z 0-9 . _ ~ / -`, no leading `/`, and no empty, `.` or
    /// `..` segment, so a key names exactly one file under the media root and needs no escaping in a URL.
    public static func mediaKey(_ value: String) throws(PortcullisError) -> String {
        guard isMediaKey(value) else {
            throw .invalidField("media_key", "must be 1–\(maxMediaKeyLength) characters of A-Z a-z 0-9 . _ ~ - / forming a relative path "
                + "without empty, '.' or '..' segments")
        }
        return value
    }

    /// The rule of `mediaKey(_:)`, in one pass over the bytes (the allowed characters are ASCII, so a byte is a character).
    static func isMediaKey(_ value: String) -> Bool {
        let bytes = value.utf8
        guard !bytes.isEmpty, bytes.count <= maxMediaKeyLength else { return false }
        // The current segment's length and how many of its bytes are dots: "." and ".." are all dots, of length 1 or 2.
        var length = 0, dots = 0
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "/"):
                guard length > 0, !(dots == length && length <= 2) else { return false }
                length = 0
                dots = 0
            case UInt8(ascii: "."):
                length += 1
                dots += 1
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "-"):
                length += 1
            default:
                return false
            }
        }
        return length > 0 && !(dots == length && length <= 2)
    }

    /// Timestamps are RFC 3339 in UTC, e.g. `2026-01-31T12:00:00Z` or `2026-01-31T12:00:00.123Z`.
    public static func timestamp(_ value: String, field: String) throws(PortcullisError) -> String {
        let bytes = Array(value.utf8)
        let digitPositions = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        let shapeOK = bytes.count >= 20 && bytes.count <= 30
            && bytes[4] == UInt8(ascii: "-") && bytes[7] == UInt8(ascii: "-") && bytes[10] == UInt8(ascii: "T")
            && bytes[13] == UInt8(ascii: ":") && bytes[16] == UInt8(ascii: ":") && bytes.last == UInt8(ascii: "Z")
            && digitPositions.allSatisfy { bytes[$0] >= UInt8(ascii: "0") && bytes[$0] <= UInt8(ascii: "9") }
            && (bytes.count == 20 || (bytes.count >= 22 && bytes[19] == UInt8(ascii: ".") && bytes[20..<(bytes.count - 1)].allSatisfy { $0 >= 48 && $0 <= 57 }))
        guard shapeOK else { throw .invalidField(field, "must be an RFC 3339 UTC timestamp like 2026-01-31T12:00:00Z") }
        // The shape alone lets "2026-13-45T99:99:99Z" through; RFC 3339 bounds each part (second 60 is a leap second).
        func number(_ at: Int) -> Int { Int(bytes[at] - 48) * 10 + Int(bytes[at + 1] - 48) }
        let year = Int(bytes[0] - 48) * 1000 + Int(bytes[1] - 48) * 100 + number(2), month = number(5)
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(number(8)), number(11) <= 23, number(14) <= 59,
              number(17) <= 60
        else {
            throw .invalidField(field, "must be an RFC 3339 UTC timestamp like 2026-01-31T12:00:00Z")
        }
        return value
    }

    /// An optional RFC 3339 UTC timestamp as Unix milliseconds (a time bound, an `as_of`), validated like `timestamp`;
    /// nil stays nil. Years before 1970 are refused: no bound or instant of Portcullis lies before it.
    public static func instant(_ value: String?, field: String) throws(PortcullisError) -> Int64? {
        guard let value else { return nil }
        // Before 1970 or past 9999 (a leap second on 9999-12-31 would read as year 10000) is no instant Portcullis shows.
        guard let milliseconds = Timestamp.epochMilliseconds(try timestamp(value, field: field)), milliseconds >= 0,
              milliseconds < 253_402_300_800_000
        else {
            throw .invalidField(field, "must be an RFC 3339 UTC timestamp like 2026-01-31T12:00:00Z")
        }
        return milliseconds
    }

    /// Days in a month of the proleptic Gregorian calendar.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension String {
    /// Without leading and trailing whitespace (Unicode's definition).
    package var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}

extension Unicode.Scalar {
    /// `001F`: the code point as at least four hex digits, for messages.
    var hexCode: String { String(value, radix: 16, uppercase: true).leftPadded(to: 4) }
}
