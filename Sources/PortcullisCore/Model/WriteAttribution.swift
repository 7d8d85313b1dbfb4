/// Who makes the writes of the current task, and for which request: what a change records as `actor` and
/// `request_id`.
///
/// Bound for the duration of a request by the HTTP layer, of a command by the offline commands, and of a job by the
/// server's own jobs, so no store method needs a parameter for it. A backend reads it when a write begins, before it
/// hops to its writer (a task-local does not follow a hop to a dispatch queue).
///
/// ```swift
/// try await WriteAttribution.$current.withValue(WriteAttribution(actor: .apiKey("key_1"), requestId: "req-7")) {
///     try await store.createUser(NewUser(email: "ada@example.com"), passwordHash: nil)   // actor api_key key_1
/// }
/// ```
public struct WriteAttribution: Sendable, Equatable {
    /// Who is writing.
    public var actor: ChangeActor
    /// The request being served, if any.
    public var requestId: String?

    /// An attribution to `actor`, for `requestId`.
    public init(actor: ChangeActor, requestId: String? = nil) {
        self.actor = actor
        self.requestId = requestId
    }

    /// The attribution of the current task; unbound, the server itself (`system`, no id).
    @TaskLocal public static var current = WriteAttribution(actor: .system(nil))
}
