#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Blocking TCP on 127.0.0.1 for tests: connect, send, read until the peer closes, find a free port.
/// Every test that talks raw HTTP builds on these, so the socket code exists once.
public enum LoopbackSocket {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// A connected socket descriptor; the caller closes it.
    ///
    /// Its receive timeout is 60 s unless the caller sets another: a server that never answers fails the test then,
    /// instead of holding the whole test run (and CI) until it is killed.
    public static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure(description: "connect to port \(port) failed")
        }
        return fd
    }

    /// Sends all of `bytes`; false when the peer stopped taking them (it may have answered and closed, e.g. 413).
    @discardableResult
    public static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return false }
            sent += count
        }
        return true
    }

    /// Everything received until the peer closes (or a receive timeout set on `fd` passes).
    public static func readToClose(_ fd: Int32) -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            // EINTR: a signal (another test's child process ending) interrupted the wait, not the server.
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            data += buffer[0..<count]
        }
        return data
    }

    /// One request on a new connection: sends `request`, returns all the server sends before closing.
    public static func exchange(port: Int, _ request: [UInt8]) throws -> [UInt8] {
        let fd = try connect(port: port)
        defer { close(fd) }
        send(fd, request)
        return readToClose(fd)
    }

    /// Whether something accepts connections on the port now.
    public static func canConnect(port: Int) -> Bool {
        guard let fd = try? connect(port: port) else { return false }
        close(fd)
        return true
    }

    /// A TCP port that was free a moment ago, for a server the test starts itself.
    ///
    /// Chosen below the kernel's ephemeral range, where port-0 listeners of other tests and the local ends of outgoing
    /// connections get theirs: a port taken from that range (by binding port 0) could be handed to one of them before
    /// the test's server binds it (`Address already in use`, seen in CI). Never the same port twice in a process.
    public static func freePort() -> Int {
        let upper = ephemeralRangeStart()
        return handedOut.withLock { used in
            for _ in 0..<1_000 {
                let port = Int.random(in: 10_000..<upper)
                if used.contains(port) || !canBind(port: port) { continue }
                used.insert(port)
                return port
            }
            fatalError("no free TCP port between 10000 and \(upper)")
        }
    }

    private static let handedOut = Mutex(Set<Int>())

    /// The first port of `net.ipv4.ip_local_port_range` (32768 when it cannot be read).
    private static func ephemeralRangeStart() -> Int {
        guard let file = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r") else { return 32_768 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, Int32(line.count), file) != nil else { return 32_768 }
        let low = atoi(line)
        return low > 11_000 ? Int(low) : 32_768
    }

    /// Whether a listener could bind 127.0.0.1:`port` now.
    private static func canBind(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var reuse: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
