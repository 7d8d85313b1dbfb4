import HTTPTypes
import NIOCore
import NIOHTTPTypes
import PortcullisCore

/// The event-loop fast path of a connection: sits after Hummingbird's connection-state handler, so idle timeouts and
/// graceful shutdown see every request, and before the handler that feeds requests to Hummingbird.
///
/// A request `FastPathService` accepts is collected here (head and body, up to the body limit) and answered on the
/// event loop — no task hop, no router — when the service answers it with a 200; otherwise the collected parts are
/// passed on unchanged and Hummingbird answers as if this handler were not there. Every other request passes straight
/// through. The connection's task waits until the first request is passed on (`onFirstPassedOn`), so a connection
/// that only asks what this path answers never enters Hummingbird's request loop and stays small while idle.
/// Responses on one connection stay in order: while a request passed to Hummingbird is unanswered, nothing is answered
/// here (HTTP/1.1 pipelining).
final class FastPathHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        case idle
        case collecting(head: HTTPRequest, body: ByteBuffer, started: Int64)
        case passing
    }

    private let service: FastPathService
    private var state = State.idle
    /// Requests passed to Hummingbird whose responses have not ended.
    private var passedOn = 0
    private var needsFlush = false
    private var peer = "unknown"
    /// Wakes the connection's task the first time a request goes to Hummingbird (or the connection ends).
    private var onFirstPassedOn: EventLoopPromise<Void>?

    init(service: FastPathService, onFirstPassedOn: EventLoopPromise<Void>? = nil) {
        self.service = service
        self.onFirstPassedOn = onFirstPassedOn
    }

    func channelActive(context: ChannelHandlerContext) {
        peer = context.channel.remoteAddress?.ipAddress ?? "unknown"
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        peer = context.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    func channelInactive(context: ChannelHandlerContext) {
        wakeConnectionTask()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        wakeConnectionTask()
    }

    /// A malformed request (the HTTP decoder's error) is Hummingbird's to answer: 400, then close.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        wakeConnectionTask()
        context.fireErrorCaught(error)
    }

    private func wakeConnectionTask() {
        onFirstPassedOn?.succeed()
        onFirstPassedOn = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if passedOn == 0, service.accepts(head) {
                state = .collecting(head: head, body: context.channel.allocator.buffer(capacity: 0), started: monotonicNanoseconds())
            } else {
                pass(context, data)
            }
        case .body(var chunk):
            guard case .collecting(let head, var body, let started) = state else {
                context.fireChannelRead(data)
                return
            }
            if body.readableBytes + chunk.readableBytes > service.maxBodyBytes {
                // Too big for this path: Hummingbird answers it (413) from the parts as they came.
                service.figures.passedOn()
                pass(context, wrapInboundOut(.head(head)))
                if body.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(.body(body))) }
                context.fireChannelRead(data)
                return
            }
            state = .idle
            body.writeBuffer(&chunk)
            state = .collecting(head: head, body: body, started: started)
        case .end:
            guard case .collecting(let head, let body, let started) = state else {
                state = .idle
                context.fireChannelRead(data)
                return
            }
            state = .idle
            if let (responseHead, responseBody) = service.answer(head, body: body, peer: peer, started: started) {
                context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
                context.write(wrapOutboundOut(.body(responseBody)), promise: nil)
                context.write(wrapOutboundOut(.end(nil)), promise: nil)
                needsFlush = true
                service.figures.answered()
            } else {
                service.figures.passedOn()
                pass(context, wrapInboundOut(.head(head)))
                if body.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(.body(body))) }
                context.fireChannelRead(data)
            }
        }
    }

    /// Hands a request (from its head on) to Hummingbird.
    private func pass(_ context: ChannelHandlerContext, _ head: NIOAny) {
        state = .passing
        passedOn += 1
        wakeConnectionTask()
        context.fireChannelRead(head)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Hummingbird's responses come through here; this handler's own are written below it.
        if case .end = unwrapOutboundIn(data) { passedOn = max(0, passedOn - 1) }
        context.write(data, promise: promise)
    }
}
