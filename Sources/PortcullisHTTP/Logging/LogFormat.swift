import Logging

/// How the server writes its log to standard error (`log.format`, `PORTCULLIS_LOG_FORMAT`).
public enum LogFormat: String, Sendable, CaseIterable {
    /// swift-log's `StreamLogHandler` line: timestamp, level, label, metadata, `[source]`, message. For people.
    case text
    /// One JSON object a line (`JSONLogHandler`): for journald, Loki, or anything that parses logs.
    case json

    /// A handler for `label` in this format at `level`, as `LoggingSystem.bootstrap` wants one.
    ///
    /// ```swift
    /// LoggingSystem.bootstrap { label in settings.logFormat.handler(label: label, level: .info) }
    /// ```
    public func handler(label: String, level: Logger.Level) -> any LogHandler {
        switch self {
        case .text:
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        case .json:
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
