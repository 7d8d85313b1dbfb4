import PortcullisModel
import PortcullisSQLite
import Logging
import ServiceLifecycle

/// The background half of the cache: warms L1 from L3 at start, then commits queued L2/L3 writes every
/// `flushInterval`; every `hotSetInterval` it records L1's hottest entries in L3 and sweeps expired entries from all
/// layers; and it records the hot set once more at shutdown.
public struct CacheWriter: Service {
    let cache: DecisionCache
    let logger: Logger
    var flushInterval: Duration = .milliseconds(100)
    var hotSetInterval: Duration = .seconds(30)
    var warmLimit = 100_000

    /// The writer of `cache`: flushes every 100 ms, records the hot set and sweeps expired entries every 30 s. Failures
    /// are logged to `logger`, never thrown: the cache is best effort.
    ///
    /// ```swift
    /// var services: [any Service] = [CacheWriter(cache: cache, logger: logger)]
    /// ```
    public init(cache: DecisionCache, logger: Logger) {
        self.cache = cache
        self.logger = logger
    }

    /// Warms L1 (up to 100,000 entries), then loops until graceful shutdown or cancellation; either ends with a last
    /// hot-set record and flush, so a restart warms from what was hot.
    public func run() async throws {
        let started = monotonicNanoseconds()
        let warmed = cache.warm(limit: warmLimit)
        logger.info("warmed the decision cache from L3", metadata: [
            "entries": "\(warmed)", "ms": "\((monotonicNanoseconds() - started) / 1_000_000)",
        ])
        var lastHotSet = ContinuousClock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: flushInterval)
            if ContinuousClock.now - lastHotSet >= hotSetInterval {
                cache.persistHotSet(limit: warmLimit)
                sweep()
                lastHotSet = ContinuousClock.now
            }
            flush()
        }
        cache.persistHotSet(limit: warmLimit)
        flush()
    }

    private func sweep() {
        do {
            try cache.sweep()
        } catch {
            logger.warning("decision cache sweep failed", metadata: ["error": "\(error)"])
        }
    }

    private func flush() {
        do {
            try cache.flush()
        } catch {
            logger.warning("decision cache write failed", metadata: ["error": "\(error)"])
        }
    }
}
