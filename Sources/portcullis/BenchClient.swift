import ArgumentParser
import Foundation

/// A minimal blocking HTTP/1.1 client for `portcullis bench`'s set-up requests (fixtures, sign-in).
struct BenchClient {
    let host: String
    let port: Int

    init(url: String) throws {
        guard let components = URLComponents(string: url), components.scheme == "http", let host = components.host else {
            throw ValidationError("--url must look like http://127.0.0.1:8080")
        }
        self.host = host
        self.port = components.port ?? 80
    }

    /// Sends one request and returns the status and body.
    func send(_ method: String, _ path: String, bearer: String? = nil, json: String? = nil) throws -> (status: Int, body: String) {
        var addresses: UnsafeMutablePointer<addrinfo>?
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        guard getaddrinfo(host, String(port), &hints, &addresses) == 0, let address = addresses else {
            throw ValidationError("cannot resolve \(host)")
        }
        defer { freeaddrinfo(addresses) }
        let fd = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
        defer { close(fd) }
        guard fd >= 0, connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 else {
            throw ValidationError("cannot connect to \(host):\(port) — is the server running?")
        }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n"
        if let bearer { head += "Authorization: Bearer \(bearer)\r\n" }
        let body = Array((json ?? "").utf8)
        if json != nil { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        let request = Array((head + "\r\n").utf8) + body
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw ValidationError("connection to \(host):\(port) closed") }
            sent += count
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let statusLine = text.split(separator: "\r\n").first, statusLine.split(separator: " ").count >= 2,
              let status = Int(statusLine.split(separator: " ")[1])
        else { throw ValidationError("no HTTP response from \(host):\(port)") }
        let bodyText = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, bodyText)
    }
}
