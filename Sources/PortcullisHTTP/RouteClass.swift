/// The latency class of a route, reported in `X-Route-Class` (SPEC section 5).
public enum RouteClass: String, Sendable, CaseIterable {
    case ultraFast = "ultra_fast"
    case criticalAuth = "critical_auth"
    case fast
    case normal
    case background

    /// Classifies a request path with the default patterns.
    public init(path: String) {
        self = RouteClassifier.defaults.classify(path)
    }

    /// The class's position in `allCases` (the monitor's series index).
    @inline(__always)
    var index: Int {
        switch self {
        case .ultraFast: 0
        case .criticalAuth: 1
        case .fast: 2
        case .normal: 3
        case .background: 4
        }
    }

    /// The latency target of SPEC section 5; nil for classes without one.
    var targetMilliseconds: Double? {
        switch self {
        case .ultraFast: 10
        case .criticalAuth: 100
        case .fast: 200
        case .normal, .background: nil
        }
    }
}

/// Assigns each path a `RouteClass` by glob patterns (`*` matches any run of characters, `/` included), tried in the
/// order ultra_fast, critical_auth, fast, background; a path no pattern matches is `normal`. Configurable per class.
public struct RouteClassifier: Sendable {
    /// The patterns of each class, as configured (`routes.<class>` in the config file).
    public private(set) var patterns: [RouteClass: [String]]
    private var compiled: [(routeClass: RouteClass, pattern: GlobPattern)] = []

    public static let order: [RouteClass] = [.ultraFast, .criticalAuth, .fast, .background]

    public static let defaultPatterns: [RouteClass: [String]] = [
        // The performance health endpoint is a health endpoint: it must keep answering while traffic is shed.
        .ultraFast: ["/api/v1/health", "/api/v1/performance/health"],
        // SPEC 8.1: /me and API keys are authentication; a generation and its media URL are `fast` whoever calls.
        .criticalAuth: ["/api/v1/authz/*", "/api/v1/auth/*", "/api/v1/me", "/api/v1/api-keys*"],
        .fast: ["/api/v1/media/*", "/api/v1/generations/*"],
        // The change log and its stream feed other systems: shed before any request a user waits for.
        .background: ["/api/v1/import", "/api/v1/changes*", "/api/v1/performance/*", "/metrics", "/dashboard*"],
    ]

    public static let defaults = RouteClassifier(patterns: defaultPatterns)

    public init(patterns: [RouteClass: [String]]) {
        self.patterns = patterns
        for routeClass in Self.order {
            for pattern in patterns[routeClass] ?? [] { compiled.append((routeClass, GlobPattern(pattern))) }
        }
    }

    /// The same classifier with `routeClass`'s patterns replaced.
    public func replacing(_ routeClass: RouteClass, with newPatterns: [String]) -> RouteClassifier {
        var patterns = patterns
        patterns[routeClass] = newPatterns
        return RouteClassifier(patterns: patterns)
    }

    public func classify(_ path: String) -> RouteClass {
        var path = path
        return path.withUTF8 { bytes in
            for entry in compiled where entry.pattern.matches(bytes) { return entry.routeClass }
            return .normal
        }
    }
}

/// A glob with `*` wildcards, matched on UTF-8 bytes: the first literal part must be a prefix, the last a suffix,
/// and those between must appear in order.
struct GlobPattern: Sendable {
    let parts: [[UInt8]]

    init(_ pattern: String) {
        parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map { Array($0.utf8) }
    }

    func matches(_ path: UnsafeBufferPointer<UInt8>) -> Bool {
        guard parts.count > 1 else { return path.elementsEqual(parts[0]) }
        let first = parts[0], last = parts[parts.count - 1]
        guard path.count >= first.count + last.count, path.starts(with: first), path.suffix(last.count).elementsEqual(last) else { return false }
        var position = first.count
        let end = path.count - last.count
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let found = Self.find(part, in: path, from: position, before: end) else { return false }
            position = found + part.count
        }
        return true
    }

    private static func find(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, from start: Int, before end: Int) -> Int? {
        guard end - start >= needle.count else { return nil }
        for index in start...(end - needle.count) where haystack[index] == needle[0] {
            if haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
        }
        return nil
    }
}
