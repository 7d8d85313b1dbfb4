import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1.1 child channel with Portcullis' own handlers: request deadlines (`RequestDeadline`), which
/// need the raw bytes before the HTTP decoder as well as the decoded parts after it, and the check fast path
/// (`FastPathHandler`), placed after Hummingbird's connection-state handler so idle timeouts and graceful shutdown see
/// the requests it answers.
struct PortcullisHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let responder: HTTPChannelHandler.Responder
    let configuration: HTTP1Channel.Configuration
    /// Nil disables the request deadlines.
    let requestTimeout: TimeAmount?
    let classifier: RouteClassifier
    /// Nil disables the fast path: every request goes to Hummingbird.
    let fastPath: FastCheckService?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        var configuration = configuration
        if let requestTimeout {
            let classifier = classifier
            let extra = configuration.additionalChannelHandlers
            configuration.additionalChannelHandlers = { [RequestBodyWatcher()] + extra() }
            do {
                let deadline = RequestDeadline(limit: requestTimeout, classifier: classifier)
                try channel.pipeline.syncOperations.addHandler(RequestStartWatcher(deadline: deadline), position: .first)
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }
        let setUp = HTTP1Channel(responder: responder, configuration: configuration).setup(channel: channel, logger: logger)
        guard let fastPath else { return setUp }
        return setUp.flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            try operations.addHandler(FastPathHandler(service: fastPath), position: .after(try operations.handler(type: HTTPConnectionStateHandler.self)))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await HTTP1Channel(responder: responder, configuration: configuration).handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with Portcullis' request deadlines (SPEC 8.1).
    static func portcullisHTTP1(configuration: HTTP1Channel.Configuration, requestTimeout: TimeAmount?, classifier: RouteClassifier,
                                fastPath: FastCheckService?) -> HTTPServerBuilder {
        .init { responder in
            PortcullisHTTP1Channel(responder: responder, configuration: configuration, requestTimeout: requestTimeout, classifier: classifier,
                                   fastPath: fastPath)
        }
    }
}
