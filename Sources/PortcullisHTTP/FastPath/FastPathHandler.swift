import NIOCore
import NIOHTTP1
import PortcullisCore

/// The event-loop fast path of a connection, placed right after the HTTP/1.1 decoder: before the conversion to
/// swift-http-types, the request deadline and connection-state handlers and Hummingbird's request loop, none of which a
/// request it answers pays for.
///
/// A request `FastPathService` accepts is collected here (head and body, up to the body limit) and answered on the
/// event loop — no task hop, no router — when the service answers it with a 200: the answer is one buffer holding the
/// whole response, written below the response encoder. Otherwise the collected parts are passed on unchanged and
/// Hummingbird answers as if this handler were not there. Every other request passes straight through, and so does a
/// request still incomplete when a read burst ends (a slow or large body): the full path's request deadlines govern it.
/// The connection's task waits until the first request is passed on (`onFirstPassedOn`), so a connection that only asks
/// what this path answers never enters Hummingbird's request loop and stays small while idle.
///
/// Since Hummingbird's connection-state handler no longer sees every request, this handler keeps the idle timeout
/// (`server.idle_timeout_seconds`): a connection with no request in progress on either path for that long is closed.
/// Graceful shutdown stays Hummingbird's: a request is never half-collected here between read bursts, so at any
/// shutdown event the connection is idle for this path. Responses on one connection stay in order: while a request
/// passed to Hummingbird is unanswered, nothing is answered here (HTTP/1.1 pipelining).
///
/// On several nodes a check may have to wait for the consistency gate (`FastPathService.Outcome.awaitGate`) or for its
/// facts, read on this event loop's database connection (`.read`): the request is held, the gate or the read calls
/// back on this event loop, and the service answers it then. Anything else that arrives on the connection meanwhile (a
/// pipelined request), a graceful shutdown, or a gate or read that fails hands the held request to Hummingbird first,
/// which keeps responses in order and lets the full path give every error.
final class FastPathHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case collecting(head: HTTPRequestHead, request: FastPathRequest, body: ByteBuffer, started: Int64)
        case passing
        /// Complete, waiting for the gate or its facts; `ticket` tells its callback from an earlier request's.
        case waiting(head: HTTPRequestHead, request: FastPathRequest, body: ByteBuffer, started: Int64, trailers: HTTPHeaders?, ticket: Int)
    }

    private let service: FastPathService
    private let idleTimeout: TimeAmount?
    private var state = State.idle
    /// Requests passed to Hummingbird whose responses have not ended.
    private var passedOn = 0
    private var needsFlush = false
    private var peer = "unknown"
    /// Wakes the connection's task the first time a request goes to Hummingbird (or the connection ends).
    private var onFirstPassedOn: EventLoopPromise<Void>?
    /// The response encoder's context: answers written through it go straight to the socket.
    private var encoder: ChannelHandlerContext?
    /// The connection's request deadlines, whose head timer a request answered here ends.
    private var deadline: RequestDeadline?
    /// The last credential this connection presented, digested (clients send the same one on every request).
    private var credential: BearerDigest?
    /// The JSON body of the answer being written, kept between requests so its storage is reused.
    private var scratch = ByteBuffer()
    /// Whether a read went on to Hummingbird since the last end of a read burst (which it then hears of too).
    private var forwardedReads = false
    private var idleSince = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?
    /// Numbers the waits for the gate, so a callback answers only the request it was for.
    private var tickets = 0

    init(service: FastPathService, idleTimeout: TimeAmount?, onFirstPassedOn: EventLoopPromise<Void>? = nil) {
        self.service = service
        self.idleTimeout = idleTimeout
        self.onFirstPassedOn = onFirstPassedOn
    }

    func handlerAdded(context: ChannelHandlerContext) {
        peer = context.channel.remoteAddress?.ipAddress ?? "unknown"
        encoder = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
        deadline = try? context.pipeline.syncOperations.handler(type: RequestStartWatcher.self).deadline
        becameIdle(context)
    }

    func channelActive(context: ChannelHandlerContext) {
        peer = context.channel.remoteAddress?.ipAddress ?? "unknown"
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopIdleCheck()
        if case .waiting = state { state = .idle }
        wakeConnectionTask()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopIdleCheck()
        wakeConnectionTask()
        encoder = nil
    }

    /// Graceful shutdown: a connection with nothing in progress on either path closes now. Hummingbird's
    /// connection-state handler would close it too, but it knows only the requests passed on to it; a request in
    /// progress there is its to finish before closing.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, case .waiting = state {
            releaseHeld(context)
            context.fireChannelReadComplete()
        }
        if event is ChannelShouldQuiesceEvent, isIdle {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A malformed request (the HTTP decoder's error) is Hummingbird's to answer: 400, then close.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        wakeConnectionTask()
        context.fireErrorCaught(error)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A request held for the gate goes to Hummingbird before anything that came after it.
        if case .waiting = state { releaseHeld(context) }
        switch unwrapInboundIn(data) {
        case .head(let head):
            if passedOn == 0, encoder != nil, var request = FastPathRequest(head), service.accepts(&request) {
                deadline?.cancelHeadTimer()
                state = .collecting(head: head, request: request, body: context.channel.allocator.buffer(capacity: 0), started: monotonicNanoseconds())
            } else {
                pass(context, data)
            }
        case .body(var chunk):
            guard case .collecting(let head, let request, var body, let started) = state else {
                forward(context, data)
                return
            }
            if body.readableBytes + chunk.readableBytes > service.maxBodyBytes {
                // Too big for this path: Hummingbird answers it (413) from the parts as they came.
                passCollected(context, head, body)
                forward(context, data)
                return
            }
            state = .idle
            body.writeBuffer(&chunk)
            state = .collecting(head: head, request: request, body: body, started: started)
        case .end(let trailers):
            guard case .collecting(let head, let request, let body, let started) = state else {
                state = .idle
                forward(context, data)
                if passedOn == 0 { becameIdle(context) }
                return
            }
            state = .idle
            guard let encoder else { return passCollected(context, head, body, end: trailers) }
            switch service.answer(request, body: body, peer: peer, started: started, credential: &credential, scratch: &scratch,
                                  allocator: context.channel.allocator) {
            case .answered(let response):
                encoder.write(NIOAny(response), promise: nil)
                needsFlush = true
                service.figures.answered()
                becameIdle(context)
            case .passOn:
                passCollected(context, head, body, end: trailers)
            case .awaitGate:
                hold(context, head: head, request: request, body: body, started: started, trailers: trailers)
            case .read(let pending):
                read(context, pending, head: head, request: request, body: body, started: started, trailers: trailers)
            }
        }
    }

    // MARK: Waiting for the gate

    /// Holds a complete request until the gate says the node is current since it arrived.
    private func hold(_ context: ChannelHandlerContext, head: HTTPRequestHead, request: FastPathRequest, body: ByteBuffer, started: Int64,
                      trailers: HTTPHeaders?) {
        guard let gate = service.gate else { return passCollected(context, head, body, end: trailers) }
        tickets &+= 1
        let ticket = tickets
        state = .waiting(head: head, request: request, body: body, started: started, trailers: trailers, ticket: ticket)
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        gate.whenCurrent(since: started) { result in
            loop.execute {
                let (handler, context) = bound.value
                handler.gateAnswered(context, ticket: ticket, passed: (try? result.get()) != nil)
            }
        }
    }

    /// The gate's answer for the held request `ticket`: answer it here if the node is current and the cache holds the
    /// answer, else hand it to Hummingbird (which gives the gate's error, or reads the database).
    private func gateAnswered(_ context: ChannelHandlerContext, ticket: Int, passed: Bool) {
        guard case .waiting(let head, let request, let body, let started, let trailers, let held) = state, held == ticket else { return }
        guard passed else { return finishHeld(context, .passOn) }
        let outcome = service.answer(request, body: body, peer: peer, started: started, gatePassed: true, credential: &credential,
                                     scratch: &scratch, allocator: context.channel.allocator)
        if case .read(let pending) = outcome {
            state = .idle
            return read(context, pending, head: head, request: request, body: body, started: started, trailers: trailers, flushing: true)
        }
        finishHeld(context, outcome)
    }

    // MARK: Reading an uncached check's facts

    /// Holds a complete request while its facts are read on this event loop (several nodes), or hands it to
    /// Hummingbird when the reader cannot read here now. `flushing`: the read burst that brought the request has ended
    /// (it waited for the gate), so a request passed on must be announced to Hummingbird.
    private func read(_ context: ChannelHandlerContext, _ pending: FastPathService.PendingRead, head: HTTPRequestHead, request: FastPathRequest,
                      body: ByteBuffer, started: Int64, trailers: HTTPHeaders?, flushing: Bool = false) {
        guard let facts = service.reader?.facts(pending.check.request, on: context.eventLoop) else {
            passCollected(context, head, body, end: trailers)
            if flushing {
                context.fireChannelReadComplete()
                forwardedReads = false
            }
            return
        }
        tickets &+= 1
        let ticket = tickets
        state = .waiting(head: head, request: request, body: body, started: started, trailers: trailers, ticket: ticket)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        // On this loop already (the reader's contract); the hop costs nothing then and keeps the handler safe otherwise.
        facts.hop(to: context.eventLoop).whenComplete { result in
            let (handler, context) = bound.value
            handler.factsRead(context, ticket: ticket, pending, result)
        }
    }

    /// The facts read for the held request `ticket`: answer it here, or hand it to Hummingbird.
    private func factsRead(_ context: ChannelHandlerContext, ticket: Int, _ pending: FastPathService.PendingRead,
                           _ facts: Result<DecisionFacts, any Error>) {
        guard case .waiting(_, let request, _, let started, _, let held) = state, held == ticket else { return }
        finishHeld(context, service.answer(request, read: pending, facts: facts, peer: peer, started: started, scratch: &scratch,
                                           allocator: context.channel.allocator))
    }

    /// Writes the held request's answer, or hands the request to Hummingbird.
    private func finishHeld(_ context: ChannelHandlerContext, _ outcome: FastPathService.Outcome) {
        if let encoder, case .answered(let response) = outcome {
            state = .idle
            encoder.writeAndFlush(NIOAny(response), promise: nil)
            service.figures.answered()
            becameIdle(context)
        } else {
            releaseHeld(context)
            context.fireChannelReadComplete()
            forwardedReads = false
        }
    }

    /// Hands the request held for the gate to Hummingbird.
    private func releaseHeld(_ context: ChannelHandlerContext) {
        guard case .waiting(let head, _, let body, _, let trailers, _) = state else { return }
        state = .idle
        passCollected(context, head, body, end: trailers)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // A request not whole by the end of a read burst goes to the full path, whose deadlines watch slow bodies.
        if case .collecting(let head, _, let body, _) = state { passCollected(context, head, body) }
        if needsFlush {
            needsFlush = false
            encoder?.flush()
        }
        // The handlers after this one (Hummingbird's) hear of a burst only if it brought them something: one answered
        // here entirely is none of theirs, and telling them costs a walk through each (about 4,500 instructions).
        if forwardedReads || passedOn > 0 {
            forwardedReads = false
            context.fireChannelReadComplete()
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Hummingbird's responses come through here; this handler's own are written below the encoder.
        if case .end = unwrapOutboundIn(data) {
            passedOn = max(0, passedOn - 1)
            if passedOn == 0, case .idle = state { becameIdle(context) }
        }
        context.write(data, promise: promise)
    }

    /// Hands a collected request (head and the body so far) to Hummingbird.
    private func passCollected(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ body: ByteBuffer) {
        service.figures.passedOn()
        pass(context, wrapInboundOut(.head(head)))
        if body.readableBytes > 0 { forward(context, wrapInboundOut(.body(body))) }
    }

    /// Hands a whole collected request, its end included, to Hummingbird.
    private func passCollected(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ body: ByteBuffer, end trailers: HTTPHeaders?) {
        passCollected(context, head, body)
        forward(context, wrapInboundOut(.end(trailers)))
    }

    /// Hands a request (from its head on) to Hummingbird.
    private func pass(_ context: ChannelHandlerContext, _ head: NIOAny) {
        state = .passing
        passedOn += 1
        wakeConnectionTask()
        forward(context, head)
    }

    private func forward(_ context: ChannelHandlerContext, _ data: NIOAny) {
        forwardedReads = true
        context.fireChannelRead(data)
    }

    private func wakeConnectionTask() {
        onFirstPassedOn?.succeed()
        onFirstPassedOn = nil
    }

    // MARK: Idle timeout

    private var isIdle: Bool {
        guard passedOn == 0, case .idle = state else { return false }
        return true
    }

    /// Starts the idle clock; one timer per connection at a time, re-armed only when it fires early.
    private func becameIdle(_ context: ChannelHandlerContext) {
        guard let idleTimeout else { return }
        idleSince = .now()
        if idleCheck == nil { scheduleIdleCheck(context, at: idleSince + idleTimeout) }
    }

    private func scheduleIdleCheck(_ context: ChannelHandlerContext, at time: NIODeadline) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleCheck = context.eventLoop.scheduleTask(deadline: time) {
            let (handler, context) = loopBound.value
            handler.idleCheckFired(context)
        }
    }

    private func idleCheckFired(_ context: ChannelHandlerContext) {
        idleCheck = nil
        guard let idleTimeout, isIdle else { return }
        let due = idleSince + idleTimeout
        if due <= .now() {
            context.close(promise: nil)
        } else {
            scheduleIdleCheck(context, at: due)
        }
    }

    private func stopIdleCheck() {
        idleCheck?.cancel()
        idleCheck = nil
    }
}

