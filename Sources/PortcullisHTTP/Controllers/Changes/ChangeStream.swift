import HTTPTypes
import Hummingbird
import NIOCore
import PortcullisCore
import ServiceLifecycle

/// The body of `GET /api/v1/changes/stream`: the change log as Server-Sent Events, read page by page from the store.
///
/// Nothing is queued per reader: the stream sleeps on a `ChangeSignal` subscription (the newest revision, one number)
/// and, woken, reads the log after the last position it wrote. A slow reader only slows its own reads (each write
/// waits for the socket), never a writer, and holds one page at most. A page never splits a revision of up to 10,000
/// changes and is written at once; a larger one carries event ids `<revision>:<seq>`.
///
/// Idle, it writes a comment every `keepAlive`; on graceful shutdown it ends the response cleanly.
struct ChangeStream: Sendable {
    let store: any Store
    let signal: ChangeSignal
    /// The interval of the keep-alive comment (15 s in production).
    let keepAlive: Duration
    /// Changes read per page.
    static let pageSize = 1000

    /// Validates the start (400, or 410 `changes_expired`) before any byte is sent, then streams.
    func response(_ request: ChangeRequest) async throws -> Response {
        // Subscribed before the first read, so a commit between the two still wakes the stream.
        let subscription = signal.subscribe()
        do {
            var position = request.after
            if position == nil { position = ChangePosition(revision: try await store.latestRevision()) }
            let start = position!
            let first = try await store.changes(request.query(after: start, limit: Self.pageSize))
            let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store", Self.accelBuffering: "no"]
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                try await run(request, start: start, first: first, subscription: subscription, writer: &writer)
            })
        } catch {
            subscription.end()
            throw error
        }
    }

    private func run(_ request: ChangeRequest, start: ChangePosition, first: ChangePage, subscription: ChangeSignal.Subscription,
                     writer: inout any ResponseBodyWriter) async throws {
        let keepAlive = keepAlive
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                // The keep-alive clock: a wake-up with no revision. Its cancellation, when the stream ends, must not
                // throw: the group would rethrow it and the response would be cut instead of finished.
                while true {
                    try? await Task.sleep(for: keepAlive)
                    if Task.isCancelled { return }
                    subscription.wake()
                }
            }
            try await withGracefulShutdownHandler {
                var position = start
                var page = first
                var lastWrite = ContinuousClock.now
                var wakeUps = subscription.wakeUps.makeAsyncIterator()
                while true {
                    // Everything after `position`, a page at a time; then sleep until woken.
                    while !page.items.isEmpty {
                        try await writer.write(Self.events(page))
                        lastWrite = .now
                        position = page.end(after: position)
                        page = try await store.changes(request.query(after: position, limit: Self.pageSize))
                    }
                    guard await wakeUps.next() != nil else { break }
                    if ContinuousClock.now - lastWrite >= keepAlive * 0.9 {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        lastWrite = .now
                    }
                    page = try await store.changes(request.query(after: position, limit: Self.pageSize))
                }
            } onGracefulShutdown: {
                subscription.end()
            }
            group.cancelAll()
        }
        try await writer.finish(nil)
    }

    /// One event per change: `id: <revision>` (or `<revision>:<seq>` inside a revision paged by cursor), `data:` its
    /// JSON on one line.
    static func events(_ page: ChangePage) -> ByteBuffer {
        var buffer = ByteBuffer()
        for change in page.items {
            let id = page.partialRevisions.contains(change.revision) ? "\(change.revision):\(change.seq)" : String(change.revision)
            buffer.writeString("id: \(id)\ndata: ")
            buffer.writeBytes(change.json)
            buffer.writeString("\n\n")
        }
        return buffer
    }

    static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!
}
