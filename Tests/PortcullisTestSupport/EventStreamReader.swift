import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `text/event-stream` response read from a raw loopback socket, event by event: the change-stream tests' client.
///
/// Reads block on a detached thread (with a receive timeout, so a missing event fails the test instead of hanging it);
/// the test awaits them.
public final class EventStreamReader: @unchecked Sendable {
    // @unchecked: one test task drives a reader, one call at a time; each call's blocking reads run on one thread
    // that the task awaits, so the state below is never touched from two threads at once.

    /// One event: its `id:` (nil when it had none) and `data:`.
    public struct Event: Equatable, Sendable {
        public var id: String?
        public var data: String

        /// The data parsed as a JSON object.
        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] ?? [:] }
    }

    private let fd: Int32
    private var closed = false
    private var raw: [UInt8] = []
    private var body: [UInt8] = []
    private var headDone = false
    private var chunked = false
    private var pending: [Event] = []
    /// The status code, once the head has arrived (0 before).
    public private(set) var status = 0
    /// The response headers, lowercased names.
    public private(set) var headers: [String: String] = [:]
    /// Comment lines (keep-alives) received so far.
    public private(set) var comments = 0
    /// True once the response ended properly (the last chunk); a dropped connection leaves it false.
    public private(set) var ended = false
    /// True once the connection closed or a read timed out.
    public private(set) var finished = false

    /// Connects and sends `GET path`, with the bearer and a `Last-Event-ID` when given.
    public init(port: Int, path: String, bearer: String?, lastEventId: String? = nil, timeoutSeconds: Int = 30) throws {
        fd = try LoopbackSocket.connect(port: port)
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        if let bearer { head += "Authorization: Bearer \(bearer)\r\n" }
        if let lastEventId { head += "Last-Event-ID: \(lastEventId)\r\n" }
        LoopbackSocket.send(fd, Array((head + "\r\n").utf8))
    }

    deinit { disconnect() }

    /// Closes the connection (a client going away mid-stream).
    public func disconnect() {
        guard !closed else { return }
        closed = true
        close(fd)
    }

    /// Waits for the response head; returns the status.
    public func head() async -> Int {
        await onThread { reader in
            while reader.status == 0, reader.receive() {}
            return reader.status
        }
    }

    /// The next `count` events, fewer if the stream ends or goes quiet for the receive timeout.
    public func events(_ count: Int) async -> [Event] {
        await onThread { reader in
            while reader.pending.count < count, reader.receive() {}
            let taken = Array(reader.pending.prefix(count))
            reader.pending.removeFirst(taken.count)
            return taken
        }
    }

    /// Reads until a comment line arrives (true), or the stream ends or goes quiet (false).
    public func comment() async -> Bool {
        await onThread { reader in
            let seen = reader.comments
            while reader.comments == seen, reader.receive() {}
            return reader.comments > seen
        }
    }

    /// Reads until the response ends or the connection closes; returns whether it ended properly.
    public func end() async -> Bool {
        await onThread { reader in
            while reader.receive() {}
            return reader.ended
        }
    }

    private func onThread<T: Sendable>(_ body: @escaping @Sendable (EventStreamReader) -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in continuation.resume(returning: body(self)) }
        }
    }

    /// One `recv`, then everything it completes; false when nothing more will come.
    private func receive() -> Bool {
        guard !finished, !ended, !closed else { return false }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else {
            finished = true
            return false
        }
        raw += buffer[0..<count]
        process()
        return !ended
    }

    private func process() {
        if !headDone {
            guard let end = Self.find([13, 10, 13, 10], in: raw) else { return }
            let lines = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
            status = lines.first.flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } } ?? -1
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            raw.removeFirst(end + 4)
            headDone = true
            chunked = headers["transfer-encoding"]?.contains("chunked") == true
        }
        if chunked {
            while let lineEnd = Self.find([13, 10], in: raw) {
                guard let size = Int(String(decoding: raw[..<lineEnd], as: UTF8.self), radix: 16) else { return }
                if size == 0 {
                    ended = true
                    break
                }
                guard raw.count >= lineEnd + 2 + size + 2 else { break }
                body += raw[(lineEnd + 2)..<(lineEnd + 2 + size)]
                raw.removeFirst(lineEnd + 2 + size + 2)
            }
        } else {
            body += raw
            raw = []
        }
        var start = 0
        while let end = Self.find([10, 10], in: body, from: start) {
            var event = Event(id: nil, data: "")
            var hasData = false
            for line in String(decoding: body[start..<end], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix(":") {
                    comments += 1
                } else if line.hasPrefix("id: ") {
                    event.id = String(line.dropFirst(4))
                } else if line.hasPrefix("data: ") {
                    event.data += (hasData ? "\n" : "") + line.dropFirst(6)
                    hasData = true
                }
            }
            start = end + 2
            if hasData { pending.append(event) }
        }
        body.removeFirst(start)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        guard haystack.count - start >= needle.count else { return nil }
        for index in start...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if Array(haystack[index..<(index + needle.count)]) == needle { return index }
        }
        return nil
    }
}
