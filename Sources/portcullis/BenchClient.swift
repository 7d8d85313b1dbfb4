import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small blocking HTTP/1.1 client for `portcullis bench`'s set-up requests (fixtures, sign-in), on SwiftNIO's HTTP
/// codec: one connection per request, `Connection: close`.
struct BenchClient {
    let host: String
    let port: Int
    private static let group = MultiThreadedEventLoopGroup.singleton

    init(url: String) throws {
        guard let components = URLComponents(string: url), components.scheme == "http", let host = components.host else {
            throw ValidationError("--url must look like http://127.0.0.1:8080")
        }
        self.host = host
        self.port = components.port ?? 80
    }

    /// Sends one request and returns the status and body.
    func send(_ method: String, _ path: String, bearer: String? = nil, json: String? = nil) throws -> (status: Int, body: String) {
        let response = Self.group.next().makePromise(of: (Int, String).self)
        let channel: any Channel
        do {
            channel = try ClientBootstrap(group: Self.group).channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: response))
                }
            }.connect(host: host, port: port).wait()
        } catch {
            throw ValidationError("cannot connect to \(host):\(port) — is the server running?")
        }
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path)
        head.headers.add(name: "Host", value: host)
        head.headers.add(name: "Connection", value: "close")
        if let bearer { head.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let json {
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(json.utf8.count))
        }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let json { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: json))), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer { channel.close(promise: nil) }
        do {
            let (status, body) = try response.futureResult.wait()
            return (status, body)
        } catch {
            throw ValidationError("no HTTP response from \(host):\(port)")
        }
    }

    /// Collects one response and fulfils the promise with its status and body.
    private final class ResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        let promise: EventLoopPromise<(Int, String)>
        var status = 0
        var body = ""
        var done = false

        init(promise: EventLoopPromise<(Int, String)>) {
            self.promise = promise
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): status = Int(head.status.code)
            case .body(let buffer): body += String(buffer: buffer)
            case .end: finish(.success((status, body)))
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            finish(.failure(error))
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish(.failure(ChannelError.eof))
        }

        /// A promise is completed once: the first outcome wins.
        private func finish(_ result: Result<(Int, String), any Error>) {
            guard !done else { return }
            done = true
            promise.completeWith(result)
        }
    }
}
