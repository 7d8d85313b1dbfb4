import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1.1 child channel with Portcullis' own handlers around the HTTP decoder: request deadlines
/// (`RequestDeadline`), which need to see the raw bytes before the decoder as well as the decoded parts after it.
struct PortcullisHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let responder: HTTPChannelHandler.Responder
    let configuration: HTTP1Channel.Configuration
    /// Nil disables the request deadlines.
    let requestTimeout: TimeAmount?
    let classifier: RouteClassifier

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
        return HTTP1Channel(responder: responder, configuration: configuration).setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await HTTP1Channel(responder: responder, configuration: configuration).handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with Portcullis' request deadlines (SPEC 8.1).
    static func portcullisHTTP1(configuration: HTTP1Channel.Configuration, requestTimeout: TimeAmount?, classifier: RouteClassifier)
        -> HTTPServerBuilder
    {
        .init { responder in
            PortcullisHTTP1Channel(responder: responder, configuration: configuration, requestTimeout: requestTimeout, classifier: classifier)
        }
    }
}
