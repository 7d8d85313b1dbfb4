import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// An open-loop load generator: holds `connections` keep-alive connections open and sends requests at a fixed total
/// `rate`, spread evenly in time over the connections (each one mostly idle, as real users' are). A request's latency
/// is measured from the moment it was *due*, so a server that falls behind shows it (no coordinated omission).
///
/// h2load's `--rps` fires every connection's timer on the same tick, which turns a fixed rate over 10,000
/// connections into bursts of 10,000 requests; this spreads them.
final class OpenLoopLoad: Sendable {
    struct Outcome {
        var latenciesMilliseconds: [Double]
        var sent: Int
        var completed: Int
        var errors: Int
        var connectFailures: Int
        var seconds: Double
    }

    let host: String
    let port: Int
    let connections: Int
    let rate: Int
    let duration: Int
    let request: @Sendable () -> (head: HTTPRequestHead, body: ByteBuffer)

    private let state = NIOLockedValueBox(State())

    struct State {
        var latencies: [Double] = []
        var errors = 0
        var completed = 0
    }

    init(host: String, port: Int, connections: Int, rate: Int, duration: Int, request: @escaping @Sendable () -> (head: HTTPRequestHead, body: ByteBuffer)) {
        self.host = host
        self.port = port
        self.connections = connections
        self.rate = rate
        self.duration = duration
        self.request = request
    }

    func run() throws -> Outcome {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseTimer(load: self))
                }
            }
        // Connect in waves so the server's accept backlog is never the bottleneck being measured.
        var channels: [any Channel] = []
        var connectFailures = 0
        for wave in stride(from: 0, to: connections, by: 500) {
            let futures = (wave..<min(connections, wave + 500)).map { _ in bootstrap.connect(host: host, port: port) }
            for future in futures {
                if let channel = try? future.wait() { channels.append(channel) } else { connectFailures += 1 }
            }
        }
        guard !channels.isEmpty else { throw NSError(domain: "portcullis.bench", code: 1) }
        // Request k is due at start + k / rate, on connection k mod n: each connection sends every n / rate seconds.
        let total = rate * duration
        let start = DispatchTime.now().uptimeNanoseconds
        var sent = 0
        for index in 0..<total {
            let due = start + UInt64(index) * 1_000_000_000 / UInt64(rate)
            let now = DispatchTime.now().uptimeNanoseconds
            if due > now + 200_000 { usleep(UInt32((due - now) / 1000)) }
            let channel = channels[index % channels.count]
            let (head, body) = request()
            channel.eventLoop.execute {
                guard let timer = try? channel.pipeline.syncOperations.handler(type: ResponseTimer.self) else { return }
                timer.due.append(due)
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil)
                channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            }
            sent += 1
        }
        // Let the last requests finish (bounded).
        let deadline = DispatchTime.now().uptimeNanoseconds + 10_000_000_000
        while state.withLockedValue({ $0.completed + $0.errors }) < sent && DispatchTime.now().uptimeNanoseconds < deadline {
            usleep(10_000)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        for channel in channels { channel.close(promise: nil) }
        return state.withLockedValue { state in
            Outcome(latenciesMilliseconds: state.latencies, sent: sent, completed: state.completed, errors: state.errors + (sent - state.completed - state.errors),
                    connectFailures: connectFailures, seconds: seconds)
        }
    }

    fileprivate func record(due: UInt64, status: HTTPResponseStatus) {
        // A request may go out up to 0.2 ms before it is due (the sender does not sleep shorter than that).
        let latency = Double(max(0, Int64(bitPattern: DispatchTime.now().uptimeNanoseconds &- due))) / 1e6
        state.withLockedValue { state in
            if status.code >= 200 && status.code < 300 {
                state.completed += 1
                state.latencies.append(latency)
            } else {
                state.errors += 1
            }
        }
    }

    fileprivate func recordError() {
        state.withLockedValue { $0.errors += 1 }
    }
}

/// Matches responses to the due times of the requests on its connection (HTTP/1.1 answers in order).
private final class ResponseTimer: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    let load: OpenLoopLoad
    var due: [UInt64] = []
    var status: HTTPResponseStatus = .ok

    init(load: OpenLoopLoad) {
        self.load = load
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = head.status
        case .body: break
        case .end:
            guard !due.isEmpty else { return }
            load.record(due: due.removeFirst(), status: status)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        for _ in due { load.recordError() }
        due.removeAll()
        context.close(promise: nil)
    }
}
