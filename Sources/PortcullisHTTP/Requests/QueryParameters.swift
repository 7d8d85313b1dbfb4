import Hummingbird
import PortcullisCore

/// A request's query string read the way browsers, `URLSearchParams`, HTML forms and most HTTP clients write it
/// (`application/x-www-form-urlencoded`): pairs split at `&`, name from value at the first `=`, `+` standing for a
/// space, then percent-decoding to UTF-8.
///
/// Hummingbird's own `queryParameters` keeps `+` as it is and passes a malformed `%` escape through undecoded; here a
/// console search for "Design team" (sent as `Design+team`) finds the team, and a value that is not valid
/// percent-encoded UTF-8 is a 400 naming its parameter when it is read. The first of repeated names wins.
///
/// ```swift
/// let query = QueryParameters("q=Design+team&limit=5")
/// try query.value("q")      // "Design team"
/// try query.value("cursor") // nil
/// ```
struct QueryParameters {
    /// Each pair's decoded name and its still-encoded value; names that do not decode are left out (no route reads them).
    private let pairs: [(name: String, value: Substring)]

    init(_ query: String?) {
        pairs = (query ?? "").split(separator: "&", omittingEmptySubsequences: true).compactMap { pair in
            let equals = pair.firstIndex(of: "=")
            guard let name = Self.decode(pair[..<(equals ?? pair.endIndex)]) else { return nil }
            return (name, equals.map { pair[pair.index(after: $0)...] } ?? "")
        }
    }

    /// The first value given for `name`, decoded; nil when absent, 400 naming `name` when it does not decode.
    func value(_ name: String) throws(PortcullisError) -> String? {
        guard let raw = pairs.first(where: { $0.name == name })?.value else { return nil }
        guard let value = Self.decode(raw) else { throw .invalidField(name, "is not valid percent-encoded UTF-8") }
        return value
    }

    /// `+` as a space, `%XX` as its byte; nil for a truncated or non-hex escape or bytes that are not UTF-8.
    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Request {
    /// The query string as `QueryParameters` (form encoding: `+` is a space).
    var queryValues: QueryParameters { QueryParameters(uri.query) }
}
