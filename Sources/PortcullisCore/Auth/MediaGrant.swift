import PortcullisModel
import PortcullisCache
import PortcullisStore

/// The claims of a signed media URL, read from the bytes a client or reverse proxy sent.
///
/// Parsing is strict, so that one URL has exactly one spelling: the path must be exactly `<base path>/media/<key>` with
/// a key that `Validate.mediaKey` accepts (the base path compared byte for byte), and the query exactly the five signed
/// parameters, once each and in the order they are issued in, with nothing percent-encoded and `expires` in plain decimal digits (no sign, no leading zero). Anything else is not a grant.
public struct MediaGrant: Sendable, Equatable {
    /// The media key the URL names (its path after `/media/`, or the `key` parameter).
    public var mediaKey: String
    /// When the URL stops working, Unix **seconds** (`expires`).
    public var expires: Int64
    /// The id of the signing key (`kid`).
    public var kid: String
    /// The user the URL was issued to (`uid`); verification asks the engine whether they may still `download`.
    public var userId: String
    /// The generation whose media it is (`gid`).
    public var generationId: String
    /// The HMAC as sent (`sig`, base64url); compared, never decoded.
    public var signature: String

    /// A grant built in code (tests); requests are parsed by `init?(originalURI:basePath:)` and `init?(verifyQuery:)`.
    public init(mediaKey: String, expires: Int64, kid: String, userId: String, generationId: String, signature: String) {
        self.mediaKey = mediaKey
        self.expires = expires
        self.kid = kid
        self.userId = userId
        self.generationId = generationId
        self.signature = signature
    }

    /// The signed parameters, in the order URLs are issued with.
    static let signedParameters = ["expires", "kid", "uid", "gid", "sig"]

    /// Reads a media URL's path and query, as nginx passes it in `X-Original-URI` (`$request_uri`).
    /// - Parameter basePath: the path of `media.public_base` (empty when media is served from `/media/` on this host).
    public init?(originalURI: String, basePath: String) {
        guard let question = originalURI.utf8.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        let path = Substring(originalURI.utf8[..<question])
        let query = Substring(originalURI.utf8[originalURI.utf8.index(after: question)...])
        // Compared as bytes: String comparison is by Unicode equivalence, which would give a base path a second spelling.
        let prefix = (basePath + "/media/").utf8
        guard path.utf8.starts(with: prefix), let parameters = Self.parameters(query, names: Self.signedParameters) else { return nil }
        self.init(key: String(Substring(path.utf8.dropFirst(prefix.count))), parameters)
    }

    /// Reads the query of `GET /api/v1/media/verify?key=&expires=&kid=&uid=&gid=&sig=` (raw, before percent-decoding).
    public init?(verifyQuery: String) {
        guard let parameters = Self.parameters(Substring(verifyQuery), names: ["key"] + Self.signedParameters) else { return nil }
        self.init(key: parameters["key"]!, parameters)
    }

    private init?(key: String, _ parameters: [String: String]) {
        guard (try? Validate.mediaKey(key)) != nil, let expires = Self.canonicalSeconds(parameters["expires"]!),
              let userId = parameters["uid"], Identifier.isValid(userId), let generationId = parameters["gid"], Identifier.isValid(generationId),
              let kid = parameters["kid"], Self.isToken(kid), let signature = parameters["sig"], Self.isToken(signature)
        else { return nil }
        self.init(mediaKey: key, expires: expires, kid: kid, userId: userId, generationId: generationId, signature: signature)
    }

    /// `name=value` pairs joined by `&`: exactly the names given, in that order, values free of `%`, `+` and `=`.
    static func parameters(_ query: Substring, names: [String]) -> [String: String]? {
        let pairs = query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false)
        guard pairs.count == names.count else { return nil }
        var found: [String: String] = [:]
        for (pair, expected) in zip(pairs, names) {
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")), pair[..<equals].elementsEqual(expected.utf8) else { return nil }
            let value = pair[pair.index(after: equals)...]
            guard !value.isEmpty, !value.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "=") }),
                  let text = String(value)
            else { return nil }
            found[expected] = text
        }
        return found
    }

    /// Unix seconds written the one way they are issued: 1–19 decimal digits, no sign, no leading zero.
    static func canonicalSeconds(_ text: String) -> Int64? {
        let digits = text.utf8
        guard !digits.isEmpty, digits.count <= 19, digits.first != UInt8(ascii: "0"),
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return Int64(text)
    }

    /// Key ids and signatures are base64url.
    static func isToken(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "-"), UInt8(ascii: "_"): true
            default: false
            }
        }
    }
}
