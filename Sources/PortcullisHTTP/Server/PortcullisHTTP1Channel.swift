import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Hummingbird's HTTP/1.1 child channel with Portcullis' own handlers: request deadlines (`RequestDeadline`), which
/// need the raw bytes before the HTTP decoder as well as the decoded parts after it, and the check fast path
/// (`FastPathHandler`), placed right after NIO's HTTP/1 decoder so the requests it answers skip the conversion to
/// swift-http-types and everything behind it; it keeps the idle timeout then (docs/architecture.md).
///
/// Memory per idle connection (docs/benchmarks.md): a connection's task keeps every stack slab its deepest request
/// needed until the connection ends, so each request Hummingbird answers runs in a child task whose slabs go with it;
/// with the fast path on, the connection's task waits (in a few small frames) until the first request the fast path
/// passes on, so connections that only ask checks never enter Hummingbird's request loop; and the receive buffer
/// starts at 512 bytes (most requests are smaller; NIO grows it for bigger ones).
struct PortcullisHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    struct Value: ServerChildChannelValue {
        let asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>
        /// Completes when the fast path first passes a request on, or when the connection closes; nil without the fast path.
        let firstPassedOn: EventLoopFuture<Void>?
        var channel: any Channel { asyncChannel.channel }
    }

    let responder: HTTPChannelHandler.Responder
    let configuration: HTTP1Channel.Configuration
    /// Nil disables the request deadlines.
    let requestTimeout: TimeAmount?
    let classifier: RouteClassifier
    /// Nil disables the fast path: every request goes to Hummingbird.
    let fastPath: FastPathService?
    /// The `Server` header of the responses written below Hummingbird (as its own `serverName`).
    let serverName = "Portcullis"

    init(responder: @escaping HTTPChannelHandler.Responder, configuration: HTTP1Channel.Configuration, requestTimeout: TimeAmount?,
         classifier: RouteClassifier, fastPath: FastPathService?) {
        self.responder = Self.inChildTask(responder)
        self.configuration = configuration
        self.requestTimeout = requestTimeout
        self.classifier = classifier
        self.fastPath = fastPath
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        var configuration = configuration
        // With the fast path, the idle timeout is its handler's: Hummingbird's sees only the requests passed on.
        let idleTimeout = configuration.idleTimeout
        if fastPath != nil { configuration.idleTimeout = nil }
        do {
            try channel.syncOptions?.setOption(
                ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536))
            if let requestTimeout {
                let extra = configuration.additionalChannelHandlers
                configuration.additionalChannelHandlers = { [RequestBodyWatcher()] + extra() }
                let deadline = RequestDeadline(limit: requestTimeout, classifier: classifier)
                try channel.pipeline.syncOperations.addHandler(RequestStartWatcher(deadline: deadline), position: .first)
            }
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let setUp = HTTP1Channel(responder: responder, configuration: configuration).setup(channel: channel, logger: logger)
        return setUp.flatMapThrowing { [fastPath, serverName] asyncChannel in
            let operations = channel.pipeline.syncOperations
            let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try operations.addHandler(MalformedRequestResponder(serverName: serverName), position: .after(decoder))
            guard let fastPath else { return Value(asyncChannel: asyncChannel, firstPassedOn: nil) }
            let passedOn = channel.eventLoop.makePromise(of: Void.self)
            try operations.addHandler(FastPathHandler(service: fastPath, idleTimeout: idleTimeout, onFirstPassedOn: passedOn), position: .after(decoder))
            return Value(asyncChannel: asyncChannel, firstPassedOn: passedOn.futureResult)
        }
    }

    func handle(value: Value, logger: Logger) async {
        if let firstPassedOn = value.firstPassedOn {
            let channel = value.channel
            await withTaskCancellationHandler {
                try? await firstPassedOn.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        }
        await handleHTTP(asyncChannel: value.asyncChannel, logger: logger)
    }

    /// Runs each request in a child task, so the stack it needed is freed when it ends instead of staying with the
    /// connection's task. Costs one task per request Hummingbird answers.
    private static func inChildTask(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder {
        { request, writer, channel in
            let handOver = WriterHandOver(writer)
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await responder(request, handOver.take(), channel) }
            }
        }
    }
}

/// Moves the response writer (not copyable) into the child task that answers the request; used once.
private final class WriterHandOver: @unchecked Sendable {
    private var writer: ResponseWriter?

    init(_ writer: consuming ResponseWriter) {
        self.writer = Optional(writer)
    }

    func take() -> ResponseWriter {
        writer.take()!
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with Portcullis' request deadlines (SPEC 8.1) and the fast path.
    static func portcullisHTTP1(configuration: HTTP1Channel.Configuration, requestTimeout: TimeAmount?, classifier: RouteClassifier,
                                fastPath: FastPathService?) -> HTTPServerBuilder {
        .init { responder in
            PortcullisHTTP1Channel(responder: responder, configuration: configuration, requestTimeout: requestTimeout, classifier: classifier,
                                   fastPath: fastPath)
        }
    }
}
