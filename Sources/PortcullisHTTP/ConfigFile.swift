import PortcullisCore
internal import TOMLKit

/// The config file: TOML 1.0, parsed by LebJe/TOMLKit (toml++), flattened for `SettingsLoader`.
///
/// Keys are dotted paths (`section.key`; `section.sub.key` in nested tables). Values are text: strings as they are,
/// integers in decimal (`0x1F`, `1_000` included), floats in decimal (`audit.sample_rate = 0.05`), booleans as
/// `true`/`false`, and arrays of those as comma-separated text, the form list options such as `routes.*` take. Other
/// TOML values (dates, times, tables inside arrays) are errors: no option takes them.
public enum ConfigFile {
    public static func parse(_ text: String) throws(PortcullisError) -> [String: String] {
        // toml++ reads a C string: a NUL would silently end the file there.
        if let nul = text.utf8.firstIndex(of: 0) {
            throw error(line: text.utf8[..<nul].count(where: { $0 == UInt8(ascii: "\n") }) + 1, "a NUL character")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let parseError as TOMLParseError {
            throw error(line: parseError.source.begin.line, parseError.description)
        } catch {
            throw PortcullisError(.invalidConfig, "config: \(error)")
        }
        var values: [String: String] = [:]
        try flatten(table, path: "", into: &values)
        return values
    }

    private static func flatten(_ table: TOMLTable, path: String, into values: inout [String: String]) throws(PortcullisError) {
        for (key, value) in table {
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            if let nested = value.table {
                try flatten(nested, path: keyPath, into: &values)
            } else if let array = value.array {
                var items: [String] = []
                for item in array {
                    guard let text = scalar(item) else {
                        throw error(key: keyPath, "an array holds strings, integers or booleans, not a \(item.type)")
                    }
                    items.append(text)
                }
                values[keyPath] = items.joined(separator: ", ")
            } else if let text = scalar(value) {
                values[keyPath] = text
            } else {
                throw error(key: keyPath, "a value is a string, a number, true/false or an array of them, not a \(value.type)")
            }
        }
    }

    private static func scalar(_ value: any TOMLValueConvertible) -> String? {
        switch value.type {
        case .string: value.string
        case .int: value.int.map { String($0) }
        case .double: value.double.map { String($0) }
        case .bool: value.bool.map { String($0) }
        default: nil
        }
    }

    private static func error(line: Int, _ message: String) -> PortcullisError {
        PortcullisError(.invalidConfig, "config line \(line): \(message)")
    }

    private static func error(key: String, _ message: String) -> PortcullisError {
        PortcullisError(.invalidConfig, "config key '\(key)': \(message)")
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed().drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed())
    }
}
