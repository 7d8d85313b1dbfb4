/// Client-visible ids: 1–128 characters of `[A-Za-z0-9._:-]`, other than `.` and `..`.
public enum Identifier {
    /// The longest id accepted, in bytes (ids are ASCII, so also in characters).
    public static let maxLength = 128

    /// Whether `id` is a well-formed entity id.
    public static func isValid(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard !utf8.isEmpty, utf8.count <= maxLength else { return false }
        // `.` and `..` are dot segments: clients and proxies resolve them in a URL path, so such an entity could be
        // created but never addressed.
        if utf8.count <= 2, utf8.allSatisfy({ $0 == UInt8(ascii: ".") }) { return false }
        return utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-"): true
            default: false
            }
        }
    }

    /// A new random id with a readable prefix, e.g. `gen_3f9a…`.
    public static func generate(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = (0..<2).map { _ in String(generator.next() as UInt64, radix: 16).leftPadded(to: 16) }.joined()
        return "\(prefix)_\(hex)"
    }
}

extension String {
    package func leftPadded(to length: Int, with pad: Character = "0") -> String {
        count >= length ? self : String(repeating: pad, count: length - count) + self
    }
}
