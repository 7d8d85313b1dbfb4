import NIOCore
import PortcullisCore

/// Reads a check's facts on the event loop that asks, completing on that loop: how the fast path answers an uncached
/// check on several nodes without a task (`PostgresLoopReader`).
protocol LoopFactsReader: Sendable {
    /// The facts of `request` from one snapshot begun after the call, completing on `loop`; nil when the reader cannot
    /// read on `loop` now (the full path then answers). Called on `loop`.
    func facts(_ request: CheckRequest, on loop: any EventLoop) -> EventLoopFuture<DecisionFacts>?
}

extension PostgresLoopReader: LoopFactsReader {}
