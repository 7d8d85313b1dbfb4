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
        /// An authorization decision: `userId␟type␟resourceId␟action` (␟ is U+001F).
        case decision = "d"
        /// The identity behind a user token: the hex SHA-256 of the token.
        case userToken = "t"
        /// The identity behind an API key: the hex SHA-256 of the key.
        case apiKey = "k"
        /// A user's `/api/v1/me` body: the user id.
        case profile = "m"
        /// The identity a verified JWT acts as: the user id its user claim names (the token itself is verified on
        /// every request; only the user's status is cached, with the user's version).
        case jwt = "j"
    }

    /// `<namespace>\u{1F}<text>`: the form stored in every layer.
    public let rawValue: String

    /// The key of question `text` in `namespace`. Build `text` so that different questions never share it: separate
    /// parts with U+001F, which ids cannot contain.
    public init(_ namespace: Namespace, _ text: String) {
        rawValue = namespace.rawValue + "\u{1F}" + text
    }

    /// A key from its parts, built in one pass (`<namespace>\u{1F}<part>\u{1F}<part>…`): what a hot caller uses,
    /// sparing the intermediate string of `init(_:_:)`.
    public init(_ namespace: Namespace, _ first: String, _ second: String, _ third: String, _ fourth: String) {
        let separator = UInt8(0x1F)
        let count = namespace.rawValue.utf8.count + first.utf8.count + second.utf8.count + third.utf8.count + fourth.utf8.count + 4
        // One allocation and five copies; string interpolation cost about five times as much.
        rawValue = String(unsafeUninitializedCapacity: count) { buffer in
            var at = Self.copy(namespace.rawValue, into: buffer, at: 0)
            buffer[at] = separator
            at = Self.copy(first, into: buffer, at: at + 1)
            buffer[at] = separator
            at = Self.copy(second, into: buffer, at: at + 1)
            buffer[at] = separator
            at = Self.copy(third, into: buffer, at: at + 1)
            buffer[at] = separator
            return Self.copy(fourth, into: buffer, at: at + 1)
        }
    }

    /// Copies `text`'s UTF-8 into `buffer` from `at`; returns the index after it.
    private static func copy(_ text: String, into buffer: UnsafeMutableBufferPointer<UInt8>, at: Int) -> Int {
        var text = text
        return text.withUTF8 { bytes in
            _ = UnsafeMutableBufferPointer(rebasing: buffer[at..<(at + bytes.count)]).initialize(from: bytes)
            return at + bytes.count
        }
    }

    /// The raw value, for logs.
    public var description: String { rawValue }
}

/// How an answer of one kind is written into a cache entry and read back.
///
/// Entries are text so the same entry moves between memory (L1) and the SQLite layers (L2, L3) unchanged. `decode`
/// returning nil drops the entry (a payload from an older version of the program), which costs a recomputation.
public struct CacheCodec<Value>: Sendable {
    /// The payload stored for a value.
    public let encode: @Sendable (Value) -> String
    /// The value of a payload, or nil for one this version cannot read (the entry is then dropped and recomputed).
    public let decode: @Sendable (String) -> Value?

    /// A codec from a pair of functions that must round-trip: `decode(encode(v))` gives back `v`.
    ///
    /// ```swift
    /// let flag = CacheCodec<Bool>(encode: { $0 ? "1" : "0" }, decode: { ["1": true, "0": false][$0] })
    /// ```
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
    /// The answer.
    public var value: Value
    /// The dependencies the answer read, or nil when it must not be cached (an answer about an absent entity, whose
    /// later creation moves no version).
    public var dependencies: [DependencyKey]?
    /// Unix milliseconds from which the answer must not be served (a token's expiry, a time bound), if any.
    public var validUntil: Int64?
    /// Eviction weight; `.high` also skips second-sighting admission (identities are reused at once).
    public var priority: CachePriority

    /// What `compute` returns to `DecisionCache.answer(_:_:compute:)`.
    ///
    /// - Parameters:
    ///   - dependencies: every entity whose change could change the answer (the epoch is added by the cache); nil for
    ///     an answer that must not be cached.
    ///   - validUntil: Unix **milliseconds** after which the answer must not be served (e.g. a token's expiry × 1000).
    ///   - priority: `.high` for answers reused at once (identities), which skip L1's second-sighting admission.
    public init(_ value: Value, dependencies: [DependencyKey]?, validUntil: Int64? = nil, priority: CachePriority = .normal) {
        self.value = value
        self.dependencies = dependencies
        self.validUntil = validUntil
        self.priority = priority
    }
}

/// An answer and where it came from.
public struct Answer<Value> {
    /// The answer, cached or computed.
    public var value: Value
    /// The layer that held it, or `.miss` when it was computed now.
    public var layer: CacheLayer
    /// The revision read before the lookup: a cached answer reflects every write applied up to it (a computed one
    /// reflects at least as much).
    public var revision: Int64
    /// Unix milliseconds from which the answer must not be served even while `revision` is still the applied one:
    /// its entry's expiry, or for a computed answer its `validUntil` (`Int64.max` when it has none).
    public var expiresAt: Int64

    /// An answer as the cache hands it out.
    public init(value: Value, layer: CacheLayer, revision: Int64, expiresAt: Int64 = .max) {
        self.value = value
        self.layer = layer
        self.revision = revision
        self.expiresAt = expiresAt
    }
}

extension Answer: Sendable where Value: Sendable {}
extension Computed: Sendable where Value: Sendable {}
