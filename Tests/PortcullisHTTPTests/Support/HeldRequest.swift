import Foundation
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
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        rest = Array(bytes.dropFirst())
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw HTTPClient.SocketError(description: "connect failed") }
        let head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer \(bearer)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(bytes.count)\r\n\r\n"
        let first = Array(head.utf8) + bytes.prefix(1)
        _ = first.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Sends the rest of the body and returns the status line's code.
    func finish() async -> Int {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                _ = rest.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                var data: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if count <= 0 { break }
                    data += buffer[0..<count]
                }
                close(fd)
                let status = String(decoding: data.prefix(12), as: UTF8.self).split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
                continuation.resume(returning: status)
            }
        }
    }
}
