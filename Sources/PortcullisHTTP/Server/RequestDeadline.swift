import HTTPTypes
import NIOCore
import NIOHTTPTypes
import PortcullisCore

/// SPEC 8.1's request deadlines, as two channel handlers sharing one `RequestDeadline` per connection:
/// `RequestStartWatcher` sits before the HTTP decoder and notices the first bytes of a request; `RequestBodyWatcher`
/// sits after it and sees the decoded head, body and end.
///
/// - The head must be complete within `limit` of its first bytes arriving; otherwise the connection is closed.
/// - The body must be complete within `limit` of the head, or, past that, keep arriving at `minimumBytesPerSecond`
///   on average (so a large import may take as long as it needs at 64 KiB/s); otherwise the client gets
///   408 `request_timeout` (when no response has started) and the connection is closed.
///
/// Timers are started only at the end of a read burst that left a request incomplete, so an ordinary request, which
/// arrives whole, costs a few flag checks and no timer.
final class RequestDeadline {
    let limit: TimeAmount
    let minimumBytesPerSecond: Int64
    let classifier: RouteClassifier
    /// Heads decoded whose responses have not ended: bytes arriving meanwhile belong to them (bodies) or wait their turn.
    var openRequests = 0
    var bytesSinceIdle = false
    var headTimer: Scheduled<Void>?

    init(limit: TimeAmount, minimumBytesPerSecond: Int64 = 64 * 1024, classifier: RouteClassifier) {
        self.limit = limit
        self.minimumBytesPerSecond = minimumBytesPerSecond
        self.classifier = classifier
    }

    func cancelHeadTimer() {
        headTimer?.cancel()
        headTimer = nil
        bytesSinceIdle = false
    }
}

/// Before the HTTP decoder: starts the head deadline when a read burst leaves a request head incomplete.
final class RequestStartWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let deadline: RequestDeadline

    init(deadline: RequestDeadline) {
        self.deadline = deadline
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if deadline.openRequests == 0 { deadline.bytesSinceIdle = true }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // The decoder has seen this burst by now: a head it completed has reset `bytesSinceIdle`.
        if deadline.bytesSinceIdle, deadline.openRequests == 0, deadline.headTimer == nil {
            let channel = context.channel
            deadline.headTimer = context.eventLoop.scheduleTask(in: deadline.limit) { channel.close(promise: nil) }
        }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline.cancelHeadTimer()
        context.fireChannelInactive()
    }
}

/// After the HTTP decoder: ends the head deadline, and enforces the body deadline and rate.
final class RequestBodyWatcher: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var deadline: RequestDeadline!
    private var inBody = false
    private var bodyStart = NIODeadline.now()
    private var bodyBytes: Int64 = 0
    private var bodyTimer: Scheduled<Void>?
    private var responseStarted = false
    private var path = ""

    init() {}

    func handlerAdded(context: ChannelHandlerContext) {
        deadline = try? context.pipeline.syncOperations.handler(type: RequestStartWatcher.self).deadline
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let deadline {
            switch unwrapInboundIn(data) {
            case .head(let head):
                deadline.cancelHeadTimer()
                deadline.openRequests += 1
                inBody = true
                responseStarted = false
                bodyStart = .now()
                bodyBytes = 0
                path = String((head.path ?? "").prefix { $0 != "?" })
            case .body(let buffer):
                bodyBytes += Int64(buffer.readableBytes)
            case .end:
                inBody = false
                bodyTimer?.cancel()
                bodyTimer = nil
            }
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let deadline, inBody, bodyTimer == nil {
            scheduleCheck(context: context, at: bodyStart + deadline.limit)
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if let deadline {
            switch unwrapOutboundIn(data) {
            case .head: responseStarted = true
            case .body: break
            case .end: deadline.openRequests = max(0, deadline.openRequests - 1)
            }
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        bodyTimer?.cancel()
        bodyTimer = nil
        context.fireChannelInactive()
    }

    private func scheduleCheck(context: ChannelHandlerContext, at time: NIODeadline) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        bodyTimer = context.eventLoop.scheduleTask(deadline: time) {
            let (handler, context) = loopBound.value
            handler.checkBody(context: context)
        }
    }

    /// Past the limit a body may go on only while it keeps up the minimum average rate; checked every second.
    private func checkBody(context: ChannelHandlerContext) {
        bodyTimer = nil
        guard inBody, let deadline else { return }
        let elapsed = NIODeadline.now() - bodyStart
        let seconds = max(Double(elapsed.nanoseconds) / 1e9, 1e-9)
        if Double(bodyBytes) / seconds >= Double(deadline.minimumBytesPerSecond) {
            scheduleCheck(context: context, at: .now() + .seconds(1))
            return
        }
        inBody = false
        guard !responseStarted else {
            context.close(promise: nil)
            return
        }
        responseStarted = true
        let body = ByteBuffer(bytes: ErrorResponse.body(PortcullisError(.requestTimeout, "the request body did not arrive in time")))
        var head = HTTPResponse(status: .requestTimeout)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(body.readableBytes)
        head.headerFields[.connection] = "close"
        head.headerFields[.requestId] = RequestIdentifier.next()
        head.headerFields[.routeClass] = deadline.classifier.classify(path).rawValue
        head.headerFields[.responseTime] = ResponseTime.format(nanoseconds: elapsed.nanoseconds)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
