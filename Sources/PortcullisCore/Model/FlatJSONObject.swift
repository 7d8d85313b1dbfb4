/// The fields of the commonest request body — one flat object of plain ASCII strings, booleans and nulls, such as a
/// check — read in one pass without building a dictionary; nil for anything else, which `JSONParser` then reads (and
/// reports the errors of).
///
/// Only input on which both readings agree is accepted: names and strings of printable ASCII without escapes (so
/// comparing names byte by byte is what `JSONParser`'s dictionary does), no duplicate names, at most `maxFields`
/// fields, nothing after the object but whitespace. A differential test holds it to `JSONParser`'s result. A check
/// body into a `CheckRequest`: p50 0.65 µs this way, 1.51 µs through `JSONParser`, 2.20 µs for `JSONSerialization`
/// alone (`portcullis bench-parsers`, 2026-11-30).
///
/// ```swift
/// let fields = body.withUnsafeReadableBytes(FlatJSONObject.fields)
/// var reader = try fields.map(FieldReader.init(distinctFields:)) ?? FieldReader(JSONParser.parse(body.readableBytesView))
/// ```
public enum FlatJSONObject {
    /// More fields than this is no request body this reader is for.
    public static let maxFields = 16

    /// The object's fields in order, or nil when the bytes are not such an object.
    public static func fields(_ bytes: UnsafeRawBufferPointer) -> [(name: String, value: JSONValue)]? {
        var reader = Reader(bytes: bytes)
        return reader.object()
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        mutating func object() -> [(name: String, value: JSONValue)]? {
            skipWhitespace()
            guard next(is: UInt8(ascii: "{")) else { return nil }
            var fields: [(name: String, value: JSONValue)] = []
            fields.reserveCapacity(6)
            skipWhitespace()
            if !next(is: UInt8(ascii: "}")) {
                repeat {
                    skipWhitespace()
                    guard fields.count < FlatJSONObject.maxFields, let name = string() else { return nil }
                    skipWhitespace()
                    guard next(is: UInt8(ascii: ":")), let value = value(), !fields.contains(where: { $0.name == name }) else { return nil }
                    fields.append((name, value))
                    skipWhitespace()
                } while next(is: UInt8(ascii: ","))
                guard next(is: UInt8(ascii: "}")) else { return nil }
            }
            skipWhitespace()
            return index == bytes.count ? fields : nil
        }

        mutating func value() -> JSONValue? {
            skipWhitespace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""): return string().map(JSONValue.string)
            case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return literal("null") ? .null : nil
            default: return nil
            }
        }

        /// A string of printable ASCII other than `"` and `\`.
        mutating func string() -> String? {
            guard next(is: UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    index += 1
                    return text
                }
                guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return nil }
                index += 1
            }
            return nil
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
            index += count
            return true
        }

        mutating func next(is byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func skipWhitespace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
                index += 1
            }
        }
    }
}
