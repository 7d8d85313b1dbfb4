import Foundation
import JWTKit
import PortcullisModel
import Synchronization

/// Verifies JWT bearers against a JSON Web Key Set and names the user each one acts as (SPEC 8.5, docs/jwt.md).
///
/// A token is accepted when, in this order: it has three base64url parts; its header's `alg` is RS256, ES256 or EdDSA
/// (never `none` or HMAC) and has no `crit`; its `kid` names a key of the set whose type fits that algorithm (RSA,
/// EC P-256, OKP Ed25519); the signature verifies (jwt-kit); `iss` is the configured issuer; `aud` is or contains the
/// configured audience; `exp` is present and now is before `exp` + leeway; `nbf`, if present, is at most leeway ahead;
/// and the user claim holds a valid id. What the user may do is then decided by the user's own record
/// (`Authenticator.identity(jwt:)`), not by the token.
///
/// An unknown `kid` makes the verifier read the key set again, at most once per `refetchIntervalSeconds` (a new key
/// at the identity provider is picked up by the first token that uses it; a flood of made-up `kid`s costs one fetch a
/// minute). Concurrent requests that miss share one fetch.
///
/// ```swift
/// let verifier = JWTVerifier(configuration: JWTConfiguration(issuer: "https://id.example.com/", audience: "portcullis"),
///                            source: JWKSFile(path: "/etc/portcullis/jwks.json"))
/// try await verifier.loadKeys()
/// let userId = try await verifier.userId(for: bearer)
/// ```
public final class JWTVerifier: Sendable {
    /// What tokens must show.
    public let configuration: JWTConfiguration
    /// Where the key set is read from.
    public let source: any JWKSSource
    private let clock: WallClock
    private let keys = Mutex<[String: VerificationKey]>([:])
    private let refresher = KeySetRefresher()

    /// A verifier with no keys yet: call `loadKeys()` at start (a token with an unknown `kid` loads them too).
    /// `clock` decides `exp`, `nbf` and when the set may next be fetched.
    public init(configuration: JWTConfiguration, source: any JWKSSource, clock: WallClock = .system) {
        self.configuration = configuration
        self.source = source
        self.clock = clock
    }

    /// Reads the key set now and replaces the keys held; returns how many usable keys it holds. Counts as a fetch for
    /// the refetch limit.
    /// - Throws: the source's errors, or `PortcullisError` `invalid_config` for a set that is not `{"keys": [...]}`.
    @discardableResult
    public func loadKeys() async throws -> Int {
        try await refresher.fetch(now: clock.milliseconds(), minimumIntervalMilliseconds: nil) { try await self.readKeySet() } ?? 0
    }

    /// The ids of the keys held (for `doctor` and tests).
    public var keyIdentifiers: [String] { keys.withLock { $0.keys.sorted() } }

    /// How many times the key set has been read (start-up included).
    public var fetchCount: Int {
        get async { await refresher.fetches }
    }

    /// Whether `bearer` has the shape of a JWT: three dot-separated parts of which the first is a base64url JSON
    /// object. Such a bearer is only ever verified as a JWT, never looked up as an API key or a user token (whose
    /// generated forms hold no dot).
    /// Cheap on every bearer: a scan for dots, then at most 16 characters decoded.
    public static func looksLikeJWT(_ bearer: some StringProtocol) -> Bool {
        guard bearer.utf8.count <= JWTConfiguration.maximumLength else { return false }
        var dots = 0
        var firstDot: String.Index?
        var index = bearer.startIndex
        while index < bearer.endIndex {
            if bearer[index] == "." {
                dots += 1
                if firstDot == nil { firstDot = index }
                if dots > 2 { return false }
            }
            index = bearer.index(after: index)
        }
        guard dots == 2, let firstDot, firstDot > bearer.startIndex,
              let header = Base64URL.decode(String(bearer[..<firstDot].prefix(16))) else { return false }
        return header.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) == UInt8(ascii: "{")
    }

    /// The user id a valid token acts as.
    /// - Throws: `JWTRejection` saying which check failed.
    public func userId(for token: String) async throws(JWTRejection) -> String {
        guard token.utf8.count <= JWTConfiguration.maximumLength else { throw .malformed }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(String(parts[0])),
              case .object(let header)? = try? JSONParser.parse(headerBytes) else { throw .malformed }
        guard case .string(let algorithm)? = header["alg"] else { throw .malformed }
        guard JWTConfiguration.algorithms.contains(algorithm) else { throw .algorithmNotAllowed(algorithm) }
        guard header["crit"] == nil else { throw .criticalHeader }
        guard case .string(let kid)? = header["kid"] else { throw .unknownKey(nil) }
        var key = keys.withLock { $0[kid] }
        if key == nil {
            _ = try? await refresher.fetch(now: clock.milliseconds(), minimumIntervalMilliseconds: configuration.refetchIntervalSeconds * 1000) {
                try await self.readKeySet()
            }
            key = keys.withLock { $0[kid] }
        }
        guard let key else { throw .unknownKey(kid) }
        guard key.algorithm == algorithm else { throw .algorithmNotAllowed(algorithm) }
        let claims: ClaimSet
        do {
            claims = try await key.collection.verify(token, as: ClaimSet.self)
        } catch {
            throw .badSignature
        }
        return try check(claims.claims)
    }

    /// The registered claims against the configuration and the clock; the user claim's value.
    private func check(_ claims: [String: JSONValue]) throws(JWTRejection) -> String {
        guard case .string(let issuer)? = claims["iss"], issuer == configuration.issuer else { throw .wrongIssuer }
        switch claims["aud"] {
        case .string(let audience)? where audience == configuration.audience: break
        case .array(let audiences)? where audiences.contains(.string(configuration.audience)): break
        default: throw .wrongAudience
        }
        let now = Double(clock.milliseconds()) / 1000
        let leeway = Double(configuration.leewaySeconds)
        guard case .number(let expiry)? = claims["exp"], now < expiry + leeway else { throw .expired }
        if let notBefore = claims["nbf"] {
            guard case .number(let start) = notBefore, now >= start - leeway else { throw .notYetValid }
        }
        guard case .string(let userId)? = claims[configuration.userClaim], Identifier.isValid(userId) else { throw .noUser }
        return userId
    }

    /// Fetches and parses the set, then puts its keys in place of the old ones.
    private func readKeySet() async throws -> Int {
        let parsed = try await Self.parseKeySet(try await source.fetch())
        keys.withLock { $0 = parsed }
        return parsed.count
    }

    /// The usable signing keys of a JWKS by `kid`: RSA (as RS256), EC P-256 (ES256) and OKP Ed25519 (EdDSA) keys
    /// with a `kid`, `use` absent or `sig`, and an `alg`, if any, equal to that algorithm. Only public parameters are
    /// kept; other keys (HMAC `oct` keys above all, encryption keys, other curves) are skipped.
    static func parseKeySet(_ bytes: [UInt8]) async throws -> [String: VerificationKey] {
        guard case .object(let root)? = try? JSONParser.parse(bytes), case .array(let items)? = root["keys"] else {
            throw PortcullisError(.invalidConfig, #"the JWKS is not a JSON object {"keys": [...]}"#)
        }
        var keys: [String: VerificationKey] = [:]
        for item in items {
            guard case .object(let fields) = item, case .string(let kid)? = fields["kid"], !kid.isEmpty,
                  case .string(let type)? = fields["kty"] else { continue }
            if let use = fields["use"], use != .string("sig") { continue }
            let algorithm: String
            let parameters: [String]
            switch (type, fields["crv"]) {
            case ("RSA", _): (algorithm, parameters) = ("RS256", ["n", "e"])
            case ("EC", .string("P-256")?): (algorithm, parameters) = ("ES256", ["crv", "x", "y"])
            case ("OKP", .string("Ed25519")?): (algorithm, parameters) = ("EdDSA", ["crv", "x"])
            default: continue
            }
            if let declared = fields["alg"], declared != .string(algorithm) { continue }
            var publicKey: [String: JSONValue] = ["kty": .string(type), "kid": .string(kid), "alg": .string(algorithm)]
            for name in parameters {
                guard case .string? = fields[name] else { continue }
                publicKey[name] = fields[name]
            }
            guard let data = try? JSONEncoder().encode(JSONValue.object(publicKey)), let jwk = try? JSONDecoder().decode(JWK.self, from: data) else {
                continue
            }
            let collection = JWTKeyCollection()
            guard (try? await collection.add(jwk: jwk)) != nil else { continue }
            keys[kid] = VerificationKey(algorithm: algorithm, collection: collection)
        }
        return keys
    }
}

/// One key of the set, held in a collection of its own so a token is only ever checked against the key its `kid`
/// names (jwt-kit falls back to a default key for an unknown `kid`; one key per collection leaves it nothing else).
struct VerificationKey: Sendable {
    let algorithm: String
    let collection: JWTKeyCollection
}

/// Every claim of a token, undecided: the verifier checks the registered ones itself, with its own clock.
struct ClaimSet: JWTPayload {
    var claims: [String: JSONValue]

    init(from decoder: any Decoder) throws {
        claims = try decoder.singleValueContainer().decode([String: JSONValue].self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(claims)
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Serializes fetches of the key set and limits those an unknown `kid` causes: callers that arrive while one is in
/// flight wait for it rather than starting another.
actor KeySetRefresher {
    private var lastFetchAt: Int64?
    private var inFlight: Task<Int, any Error>?
    private(set) var fetches = 0

    /// Runs `read` unless a fetch is in flight (then waits for that one) or, with a minimum interval, one started less
    /// than that long before `now` (then returns nil at once).
    func fetch(now: Int64, minimumIntervalMilliseconds: Int64?, _ read: @escaping @Sendable () async throws -> Int) async throws -> Int? {
        if let inFlight { return try await inFlight.value }
        if let minimumIntervalMilliseconds, let lastFetchAt, now - lastFetchAt < minimumIntervalMilliseconds { return nil }
        lastFetchAt = now
        fetches += 1
        let task = Task { try await read() }
        inFlight = task
        defer { inFlight = nil }
        return try await task.value
    }
}
