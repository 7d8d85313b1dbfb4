import Foundation
import PortcullisTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A request whose body is sent only in part, so the server holds it in flight until `finish()` sends the rest:
/// the artificial overload of the load-shedding tests, without timers.
final class HeldRequest: @unchecked Sendable {
    // @unchecked: `fd` is written once in init and used afterwards only by `finish()`, called once.
    private let fd: Int32
    private let rest: [UInt8]

    /// Sends `method path` with the admin bearer, announcing `body` but sending only its first byte.
    init(port: Int, method: String, path: String, bearer: String, body: String) throws {
        let bytes = Array(body.utf8)
        let fd = try LoopbackSocket.connect(port: port)
        self.fd = fd
        rest = Array(bytes.dropFirst())
        let head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer \(bearer)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(bytes.count)\r\n\r\n"
        let first = Array(head.utf8) + bytes.prefix(1)
        LoopbackSocket.send(fd, first)
    }

    /// Sends the rest of the body and returns the status line's code.
    func finish() async -> Int {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                LoopbackSocket.send(fd, rest)
                let data = LoopbackSocket.readToClose(fd)
                close(fd)
                let status = String(decoding: data.prefix(12), as: UTF8.self).split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
                continuation.resume(returning: status)
            }
        }
    }
}
