import Foundation
import Logging
import Synchronization
import Testing

@testable import PortcullisHTTP

@Suite("JSONLogHandler: one valid JSON object per line, whatever the message and metadata hold")
struct JSONLogHandlerTests {
    /// Lines the handler wrote.
    final class Captured: Sendable {
        let lines = Mutex<[String]>([])
        var output: JSONLogHandler.Output { { line in self.lines.withLock { $0.append(line) } } }
    }

    static func decode(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("\n") && line.dropLast().firstIndex(of: "\n") == nil, "one line: \(line)")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("hostile text stays inside its JSON string", arguments: [
        "plain", "a \"quoted\" word", "back\\slash", "line\nbreak", "carriage\rreturn\ttab", "nul\u{0}bell\u{7}escape\u{1B}del\u{7F}",
        "\"}\n{\"level\":\"critical\"", "unicode é ✓ 𝄞", "separators\u{2028}\u{2029}",
    ])
    func hostile(text: String) throws {
        let line = JSONLogHandler.line(timestamp: "2026-11-30T12:00:00.000Z", level: .warning, label: text, source: text, message: text,
                                       metadata: [text: .string(text), "nested": .dictionary(["list": .array([.string(text), .stringConvertible(42)])])])
        let object = try Self.decode(line)
        #expect(object["message"] as? String == text)
        #expect(object["label"] as? String == text)
        #expect(object["level"] as? String == "warning")
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata[text] as? String == text)
        let nested = try #require((metadata["nested"] as? [String: Any])?["list"] as? [Any])
        #expect(nested.first as? String == text && nested.last as? String == "42")
        #expect(Set(object.keys) == ["timestamp", "level", "label", "source", "message", "metadata"])
    }

    @Test("through a Logger: the level filter, handler + call metadata (the call's wins), source, and a UTC timestamp")
    func throughLogger() throws {
        let captured = Captured()
        var handler = JSONLogHandler(label: "portcullis", metadataProvider: nil, output: captured.output)
        handler.logLevel = .notice
        var logger = Logger(label: "portcullis") { _ in handler }
        logger[metadataKey: "request_id"] = "r1"
        logger[metadataKey: "path"] = "/from-handler"
        logger.info("below the level")
        logger.notice("listening", metadata: ["path": "/from-call", "port": "8080"])
        let lines = captured.lines.withLock { $0 }
        #expect(lines.count == 1)
        let object = try Self.decode(try #require(lines.first))
        #expect(object["message"] as? String == "listening" && object["level"] as? String == "notice" && object["label"] as? String == "portcullis")
        #expect(object["metadata"] as? [String: String] == ["request_id": "r1", "path": "/from-call", "port": "8080"])
        #expect((object["source"] as? String)?.isEmpty == false)
        let timestamp = try #require(object["timestamp"] as? String)
        #expect(timestamp.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression) != nil, "\(timestamp)")
        let parsed = try #require(ISO8601DateFormatter().date(from: timestamp.replacingOccurrences(of: #"\.\d{3}"#, with: "", options: .regularExpression)))
        #expect(abs(parsed.timeIntervalSinceNow) < 600)
    }

    @Test("no metadata, no metadata key; the text format stays swift-log's stream handler")
    func withoutMetadata() throws {
        let object = try Self.decode(JSONLogHandler.line(timestamp: "t", level: .info, label: "l", source: "s", message: "m", metadata: [:]))
        #expect(object["metadata"] == nil)
        #expect(LogFormat.text.handler(label: "x", level: .debug) is StreamLogHandler)
        #expect(LogFormat.json.handler(label: "x", level: .debug).logLevel == .debug)
    }
}
