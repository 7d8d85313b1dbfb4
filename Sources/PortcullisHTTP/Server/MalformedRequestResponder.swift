import NIOCore
import NIOHTTP1
import PortcullisCore

/// Answers a request the HTTP/1.1 decoder cannot parse — a head over the decoder's size limits, a malformed request
/// line — with the spec's error shape and headers (`400 bad_request`, `X-Request-Id`, `X-Route-Class`,
/// `X-Response-Time`), then closes the connection, as the decoder cannot read on after an error. Without it Hummingbird
/// answers such a request with an empty 400.
///
/// It sits after the fast path, where it sees the requests handed to Hummingbird and their responses: while one of
/// those is unanswered, a response written here would overtake it, so the error goes on to Hummingbird as before
/// (a parse error inside a body reaches the route, whose `ErrorMiddleware` renders it in the same shape).
final class MalformedRequestResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let serverName: String
    /// Requests handed on whose responses have not ended.
    private var unanswered = 0
    private var answered = false

    init(serverName: String) {
        self.serverName = serverName
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { unanswered += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { unanswered = max(0, unanswered - 1) }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError, unanswered == 0, !answered else {
            context.fireErrorCaught(error)
            return
        }
        answered = true
        let started = monotonicNanoseconds()
        let body = ErrorResponse.body(PortcullisError(.badRequest, "malformed request: \(error)"))
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "X-Response-Time", value: ResponseTime.format(nanoseconds: monotonicNanoseconds() - started))
        headers.add(name: "X-Route-Class", value: RouteClass.normal.rawValue)
        headers.add(name: "X-Request-Id", value: RequestIdentifier.next())
        headers.add(name: "Date", value: HTTPDate.now())
        headers.add(name: "Server", value: serverName)
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
