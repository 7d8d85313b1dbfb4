import PortcullisModel
import PortcullisSQLite

/// A cached answer: a small text payload, the dependencies it was computed at, and its bookkeeping.
///
/// Payloads are text so that the same entry moves between memory (L1) and the SQLite layers (L2, L3) unchanged:
/// a decision is `allowed|reason|rule path`, an identity `user|<id>|<admin>|<expires>` or `apikey|<id>|<scopes>`.
struct CacheEntry: Sendable, Equatable {
    var payload: String
    var dependencies: [Dependency]
    /// Unix milliseconds from which the entry is not served (the layer's TTL, or sooner: a token's expiry, a time bound).
    var expiresAt: Int64
    /// Eviction weight: higher survives longer.
    var priority: CachePriority

    init(payload: String, dependencies: [Dependency], expiresAt: Int64, priority: CachePriority = .normal) {
        self.payload = payload
        self.dependencies = dependencies
        self.expiresAt = expiresAt
        self.priority = priority
    }

    /// Approximate bytes held in memory, for the L1 budget.
    var approximateBytes: Int {
        96 + payload.utf8.count + dependencies.reduce(0) { $0 + 40 + $1.key.rawValue.utf8.count }
    }

    /// `key=version,key=version` for the SQLite layers.
    var encodedDependencies: String {
        dependencies.map { "\($0.key.rawValue)=\($0.version)" }.joined(separator: ",")
    }

    static func decodeDependencies(_ text: String) -> [Dependency]? {
        var dependencies: [Dependency] = []
        for part in text.split(separator: ",") {
            guard let equals = part.lastIndex(of: "="), let version = Int64(part[part.index(after: equals)...]) else { return nil }
            dependencies.append(Dependency(key: DependencyKey(rawValue: String(part[..<equals])), version: version))
        }
        return dependencies
    }
}

/// How much an entry is worth keeping, besides its recency and frequency.
public enum CachePriority: Int, Sendable, Comparable {
    /// `low`: only the synthetic timing probe; `normal`: decisions and `/me` bodies; `high`: identities behind tokens and
    /// API keys, reused on every request of their holder and so admitted to L1 at once. L1's eviction score adds 4 per step.
    case low = 0, normal = 1, high = 2

    /// Orders by weight: `low < normal < high`.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
