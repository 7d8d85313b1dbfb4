import Foundation
import Logging

/// A swift-log handler writing one JSON object per line to standard error:
/// `{"timestamp":"2026-11-30T12:00:00.123Z","level":"info","label":"portcullis","source":"PortcullisHTTP","message":"…","metadata":{…}}`.
///
/// For journald and Loki users who parse logs rather than read them (`log.format = "json"`). The timestamp is UTC
/// with milliseconds; metadata merges the handler's, its provider's and the call's (the call's win); nested
/// dictionaries and arrays stay JSON objects and arrays, anything else is a string. Each line is written with one
/// `write(2)`, so lines from concurrent tasks do not interleave.
///
/// ```swift
/// LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
/// ```
public struct JSONLogHandler: LogHandler {
    /// Where finished lines (newline included) go.
    public typealias Output = @Sendable (String) -> Void

    /// The logger's label.
    public let label: String
    /// Messages below this level are not written.
    public var logLevel: Logger.Level = .info
    /// Metadata added to every line of this handler.
    public var metadata: Logger.Metadata = [:]
    /// Metadata computed for each line (task-local values, for instance).
    public var metadataProvider: Logger.MetadataProvider?
    private let output: Output

    /// A handler for `label` writing to `output` (standard error by default).
    public init(label: String, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider,
                output: @escaping Output = JSONLogHandler.standardError) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let own = event.metadata { merged.merge(own) { $1 } }
        if let error = event.error, merged["error"] == nil { merged["error"] = "\(error)" }
        output(Self.line(timestamp: Self.timestamp(), level: event.level, label: label, source: event.source,
                         message: event.message.description, metadata: merged))
    }

    /// One log line: the JSON object and a newline. Keys in a fixed order, metadata keys sorted.
    public static func line(timestamp: String, level: Logger.Level, label: String, source: String, message: String,
                            metadata: Logger.Metadata) -> String {
        var line = "{\"timestamp\":"
        appendString(timestamp, to: &line)
        line += ",\"level\":"
        appendString(level.rawValue, to: &line)
        line += ",\"label\":"
        appendString(label, to: &line)
        line += ",\"source\":"
        appendString(source, to: &line)
        line += ",\"message\":"
        appendString(message, to: &line)
        if !metadata.isEmpty {
            line += ",\"metadata\":"
            appendValue(.dictionary(metadata), to: &line)
        }
        line += "}\n"
        return line
    }

    /// Writes `line` to file descriptor 2 in as few `write(2)` calls as it takes (one, unless interrupted).
    public static let standardError: Output = { line in
        let bytes = Array(line.utf8)
        var offset = 0
        bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    /// Now, in UTC with milliseconds: `2026-11-30T12:00:00.123Z`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):"
            + "\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(now.tv_nsec / 1_000_000), 3))Z"
    }

    private static func appendValue(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let text):
            appendString(text, to: &line)
        case .stringConvertible(let convertible):
            appendString(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                appendValue(element, to: &line)
            }
            line += "]"
        case .dictionary(let entries):
            line += "{"
            for (index, key) in entries.keys.sorted().enumerated() {
                if index > 0 { line += "," }
                appendString(key, to: &line)
                line += ":"
                appendValue(entries[key]!, to: &line)
            }
            line += "}"
        }
    }

    /// A JSON string: quotes, backslashes and every control character escaped (RFC 8259 section 7), so a value can
    /// never end the string, the object or the line early.
    static func appendString(_ text: String, to line: inout String) {
        line += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case "\u{2028}": line += "\\u2028"
            case "\u{2029}": line += "\\u2029"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    line += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    line.unicodeScalars.append(scalar)
                }
            }
        }
        line += "\""
    }
}
