import PortcullisModel
import PortcullisSQLite

/// What a cached answer is an answer to: a namespace and the question's text.
///
/// Namespaces keep answers of different kinds apart (a decision, a user token's identity, an API key's identity, a
/// user's profile); the text is the question within the kind, built by the code that computes the answer.
///
/// ```swift
/// let key = CacheKey(.decision, "\(userId)\u{1F}generation\u{1F}\(id)\u{1F}read")
/// ```
public struct CacheKey: Hashable, Sendable, CustomStringConvertible {
    /// The kinds of answer the cache holds.
    public enum Namespace: String, Sendable, CaseIterable {
        case decision = "d"
        case userToken = "t"
        case apiKey = "k"
        case profile = "m"
        case jwt = "j"
    }

    /// `<namespace>\u{1F}<text>`: the form stored in every layer.
    public let rawValue: String

    public init(_ namespace: Namespace, _ text: String) {
        rawValue = namespace.rawValue + "\u{1F}" + text
    }

    public var description: String { rawValue }
}

/// How an answer of one kind is written into a cache entry and read back.
///
/// Entries are text so the same entry moves between memory (L1) and the SQLite layers (L2, L3) unchanged. `decode`
/// returning nil drops the entry (a payload from an older version of the program), which costs a recomputation.
public struct CacheCodec<Value>: Sendable {
    public let encode: @Sendable (Value) -> String
    public let decode: @Sendable (String) -> Value?

    public init(encode: @escaping @Sendable (Value) -> String, decode: @escaping @Sendable (String) -> Value?) {
        self.encode = encode
        self.decode = decode
    }
}

extension CacheCodec where Value == String {
    /// Text stored as it is (e.g. a JSON body).
    public static var text: CacheCodec<String> { CacheCodec(encode: { $0 }, decode: { $0 }) }
}

/// An answer computed from the data, with what it depended on.
public struct Computed<Value> {
    public var value: Value
    /// The dependencies the answer read, or nil when it must not be cached (an answer about an absent entity, whose
    /// later creation moves no version).
    public var dependencies: [DependencyKey]?
    /// Unix milliseconds from which the answer must not be served (a token's expiry, a time bound), if any.
    public var validUntil: Int64?
    /// Eviction weight; `.high` also skips second-sighting admission (identities are reused at once).
    public var priority: CachePriority

    public init(_ value: Value, dependencies: [DependencyKey]?, validUntil: Int64? = nil, priority: CachePriority = .normal) {
        self.value = value
        self.dependencies = dependencies
        self.validUntil = validUntil
        self.priority = priority
    }
}

/// An answer and where it came from.
public struct Answer<Value> {
    public var value: Value
    /// The layer that held it, or `.miss` when it was computed now.
    public var layer: CacheLayer
    /// The revision read before the lookup: a cached answer reflects every write applied up to it (a computed one
    /// reflects at least as much).
    public var revision: Int64

    public init(value: Value, layer: CacheLayer, revision: Int64) {
        self.value = value
        self.layer = layer
        self.revision = revision
    }
}

extension Answer: Sendable where Value: Sendable {}
extension Computed: Sendable where Value: Sendable {}
