import PortcullisCore

/// The subset of TOML the config file uses: `[section]` headers, `key = value` with strings, integers and booleans,
/// and `#` comments. Values are returned as text keyed by `section.key`.
public enum ConfigFile {
    public static func parse(_ text: String) throws(PortcullisError) -> [String: String] {
        var values: [String: String] = [:]
        var section = ""
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = stripComment(rawLine).trimmingSpaces
            guard !line.isEmpty else { continue }
            let number = index + 1
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else { throw error(number, "a section header looks like [server]") }
                section = String(line.dropFirst().dropLast()).trimmingSpaces
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { throw error(number, "expected key = value") }
            let key = String(line[..<equals]).trimmingSpaces
            let raw = String(line[line.index(after: equals)...]).trimmingSpaces
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else { throw error(number, "invalid key '\(key)'") }
            values[section.isEmpty ? key : "\(section).\(key)"] = try value(raw, line: number)
        }
        return values
    }

    private static func value(_ raw: String, line: Int) throws(PortcullisError) -> String {
        if raw.hasPrefix("\"") {
            guard raw.count >= 2, raw.hasSuffix("\"") else { throw error(line, "unterminated string") }
            var result = ""
            var escaping = false
            for character in raw.dropFirst().dropLast() {
                if escaping {
                    switch character {
                    case "n": result.append("\n")
                    case "t": result.append("\t")
                    case "\"", "\\": result.append(character)
                    default: throw error(line, "unsupported escape \\\(character)")
                    }
                    escaping = false
                } else if character == "\\" {
                    escaping = true
                } else {
                    result.append(character)
                }
            }
            return result
        }
        if raw == "true" || raw == "false" || Int(raw.replacingUnderscores) != nil { return raw.replacingUnderscores }
        throw error(line, "a value is a \"string\", an integer or true/false")
    }

    /// Drops a `#` comment that is not inside a string.
    private static func stripComment(_ line: Substring) -> Substring {
        var inString = false
        var previous: Character = " "
        for index in line.indices {
            let character = line[index]
            if character == "\"" && previous != "\\" { inString.toggle() }
            if character == "#" && !inString { return line[..<index] }
            previous = character
        }
        return line
    }

    private static func error(_ line: Int, _ message: String) -> PortcullisError {
        PortcullisError(.invalid, code: "invalid_config", "config line \(line): \(message)")
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed().drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed())
    }

    fileprivate var replacingUnderscores: String { String(filter { $0 != "_" }) }
}
