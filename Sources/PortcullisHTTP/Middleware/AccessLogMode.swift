/// Which requests the access log records (`monitor.access_log`).
public enum AccessLogMode: String, Sendable, CaseIterable {
    /// Nothing.
    case off
    /// Responses with status 400 or above, and requests slower than their route class's target (the default:
    /// a busy server stays quiet until something is wrong).
    case errors
    /// Every request.
    case all
}
