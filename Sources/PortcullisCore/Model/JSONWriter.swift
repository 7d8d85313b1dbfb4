/// Builds compact JSON into bytes, field by field, without Foundation: the change log writes one or two entity
/// objects per changed entity, a million of them in a large import, and `JSONEncoder` costs several times more.
///
/// Strings are escaped as `JSONEncoder` escapes them (`"`, `\`, control characters; `/` and non-ASCII left as they
/// are), so an entity written here reads byte for byte like the API's (sorted keys, no whitespace).
///
/// ```swift
/// var json = JSONWriter()
/// json.object { json in
///     json.field("id") { $0.string("u1") }
///     json.field("is_admin") { $0.bool(false) }
/// }
/// json.text   // {"id":"u1","is_admin":false}
/// ```
public struct JSONWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    /// An empty writer.
    public init() {}

    /// The bytes written so far, as text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Writes `{`, the fields `body` writes, then `}`.
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// Writes `"name":` and the value `value` writes.
    public mutating func field(_ name: String, _ value: (inout JSONWriter) -> Void) {
        separate()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
        value(&self)
        needsComma = true
    }

    /// A string field, left out when `value` is nil (`JSONEncoder`'s synthesized `encodeIfPresent`).
    public mutating func optionalField(_ name: String, _ value: String?) {
        guard let value else { return }
        field(name) { $0.string(value) }
    }

    /// A string value.
    public mutating func string(_ value: String) {
        separate()
        appendString(value)
        needsComma = true
    }

    /// A string value, or `null`.
    public mutating func stringOrNull(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    /// `true` or `false`.
    public mutating func bool(_ value: Bool) {
        raw(value ? "true" : "false")
    }

    /// An integer.
    public mutating func int(_ value: Int64) {
        raw(String(value))
    }

    /// `null`.
    public mutating func null() {
        raw("null")
    }

    /// An array of strings.
    public mutating func strings(_ values: some Sequence<String>) {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        for value in values { string(value) }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes `[`, the values `body` writes, then `]`.
    public mutating func array(_ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        body(&self)
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Text that already is JSON (a stored entity), written as it is.
    public mutating func raw(_ json: String) {
        separate()
        bytes.append(contentsOf: json.utf8)
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [92, UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [92, UInt8(ascii: "f")])
            case 0..<0x20:
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
