import Foundation
import PortcullisTestSupport
import Testing

@Suite("portcullis-floor")
struct FloorTests {
    /// The floor binary beside `portcullis` in the build folder.
    static var executable: String {
        CommandRunner.executable.deletingLastPathComponent().appendingPathComponent("portcullis-floor").path
    }

    @Test("prints its port, answers two requests on one keep-alive connection with 200, exits 0 on SIGTERM")
    func keepAliveAndSigterm() throws {
        let process = try SpawnedProcess(executable: Self.executable, arguments: ["--port", "0", "--threads", "1"],
                                         environment: ProcessInfo.processInfo.environment)
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let port = try #require(Int(Self.firstLine(process.standardOutput)))
        #expect(port > 0)
        let fd = try LoopbackSocket.connect(port: port)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        for _ in 0..<2 {
            #expect(LoopbackSocket.send(fd, Array("GET /anything HTTP/1.1\r\nHost: x\r\n\r\n".utf8)))
            let response = try #require(Self.readResponse(fd))
            #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(response)")
            #expect(response.lowercased().contains("content-type: application/json"))
            #expect(!response.lowercased().contains("connection: close"))
            #expect(response.hasSuffix("\r\n\r\n{\"status\":\"ok\"}"), "\(response)")
        }
        process.terminate()
        #expect(process.terminationStatus == 0)
    }

    static func firstLine(_ handle: FileHandle) -> String {
        var line: [UInt8] = []
        while true {
            let byte = handle.readData(ofLength: 1)
            guard let first = byte.first, first != 0x0A else { break }
            line.append(first)
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// One response read off a kept-alive connection: head, then Content-Length bytes of body.
    static func readResponse(_ fd: Int32) -> String? {
        var data: [UInt8] = []
        var byte: UInt8 = 0
        while !data.ends(with: Array("\r\n\r\n".utf8)) {
            guard recv(fd, &byte, 1, 0) == 1 else { return nil }
            data.append(byte)
        }
        let head = String(decoding: data, as: UTF8.self)
        guard let line = head.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") }),
              let length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces))
        else { return nil }
        for _ in 0..<length {
            guard recv(fd, &byte, 1, 0) == 1 else { return nil }
            data.append(byte)
        }
        return String(decoding: data, as: UTF8.self)
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
