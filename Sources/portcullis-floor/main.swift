// portcullis-floor: the smallest HTTP/1.1 server SwiftNIO makes, for `portcullis bench` to measure beside Portcullis.
//
// Every request gets 200 and {"status":"ok"}; keep-alive is honoured. No routing, no middleware, no Hummingbird, no
// Swift concurrency: what is left is NIO's event loops and HTTP/1.1 codec, the best a Swift HTTP/1.1 server can do on
// this machine. A benchmark scenario's throughput as a fraction of the floor's (taken in the same run) says how much
// of the machine the server's own work costs; the floor is not shipped in the .deb.
//
//   portcullis-floor [--host 127.0.0.1] [--port 0] [--threads <cores>]
//
// The bound port is the first line on stdout (so a parent that passed --port 0 reads it); SIGTERM or SIGINT closes
// the listener, lets the event loops finish and exits 0.
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import NIOCore
import NIOHTTP1
import NIOPosix

/// Answers every request with the same small JSON body once the request has been read to its end.
final class FloorHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private static let body = ByteBuffer(string: #"{"status":"ok"}"#)
    private static let contentLength = String(body.readableBytes)
    private var request: HTTPRequestHead?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break
        case .end:
            guard let request else { return }
            self.request = nil
            let keepAlive = request.isKeepAlive
            var headers = HTTPHeaders()
            headers.reserveCapacity(3)
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: Self.contentLength)
            // HTTP/1.1 keeps the connection by default and HTTP/1.0 closes it by default: say so only where it differs.
            if request.version == .http1_0 && keepAlive { headers.add(name: "Connection", value: "keep-alive") }
            if request.version != .http1_0 && !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(Self.body))), promise: nil)
            if keepAlive {
                // Flushed in channelReadComplete, so pipelined requests read together go out in one write.
                context.write(wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}

struct FloorOptions {
    var host = "127.0.0.1"
    var port = 0
    var threads = System.coreCount

    static let usage = "usage: portcullis-floor [--host ADDRESS] [--port PORT (0 = any free)] [--threads N (default: cores)]"

    init(_ arguments: [String]) throws(FloorError) {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            if flag == "-h" || flag == "--help" { throw FloorError(message: Self.usage, status: 0) }
            guard let value = rest.popFirst() else { throw FloorError(message: "\(flag) needs a value\n\(Self.usage)") }
            switch flag {
            case "--host": host = value
            case "--port":
                guard let port = Int(value), (0...65535).contains(port) else { throw FloorError(message: "--port: not a port: \(value)") }
                self.port = port
            case "--threads":
                guard let threads = Int(value), threads >= 1 else { throw FloorError(message: "--threads: not a positive number: \(value)") }
                self.threads = threads
            default: throw FloorError(message: "unknown option \(flag)\n\(Self.usage)")
            }
        }
    }
}

struct FloorError: Error {
    var message: String
    var status: Int32 = 64
}

/// Writes straight to a descriptor (1 or 2), unbuffered: the parent reads the port line as soon as it is written.
func emit(_ text: String, to descriptor: Int32) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        bytes = bytes.dropFirst(written)
    }
}

func fail(_ message: String, status: Int32) -> Never {
    emit(message + "\n", to: status == 0 ? 1 : 2)
    exit(status)
}

let options: FloorOptions
do {
    options = try FloorOptions(Array(CommandLine.arguments.dropFirst()))
} catch {
    fail(error.message, status: error.status)
}

/// Listens until SIGTERM or SIGINT, then exits 0.
func serve(_ options: FloorOptions) -> Never {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
    let bootstrap = ServerBootstrap(group: group)
        .serverChannelOption(.backlog, value: 4096)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        .childChannelOption(.maxMessagesPerRead, value: 16)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                try channel.pipeline.syncOperations.addHandler(FloorHandler())
            }
        }

    let server: any Channel
    do {
        server = try bootstrap.bind(host: options.host, port: options.port).wait()
    } catch {
        try? group.syncShutdownGracefully()
        fail("portcullis-floor: cannot listen on \(options.host):\(options.port): \(error)", status: 1)
    }
    let port = server.localAddress?.port ?? options.port
    emit("\(port)\n", to: 1)
    emit("portcullis-floor listening on \(options.host):\(port) with \(options.threads) event loop(s)\n", to: 2)

    // Signals are handled on a dispatch queue: closing the listener ends the wait below, then the loops shut down.
    var signalSources: [any DispatchSourceSignal] = []
    for signalNumber in [SIGTERM, SIGINT] {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler { server.close(promise: nil) }
        source.resume()
        signalSources.append(source)
    }

    withExtendedLifetime(signalSources) { try? server.closeFuture.wait() }
    // Open keep-alive connections are not waited for: the group's shutdown closes them.
    try? group.syncShutdownGracefully()
    exit(0)
}

serve(options)
