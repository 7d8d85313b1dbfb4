import HTTPTypes
import Hummingbird
import Synchronization

/// Every route the server answers, as `(method, path pattern)`: used to tell 405 from 404,
/// and as the list an API description must cover. Filled while the router is built, read afterwards.
public final class RouteTable: Sendable {
    private let storage = Mutex<[(method: HTTPRequest.Method, path: String)]>([])

    public init() {}

    public var routes: [(method: HTTPRequest.Method, path: String)] { storage.withLock { $0 } }

    func add(_ method: HTTPRequest.Method, _ path: String) {
        storage.withLock { $0.append((method, path)) }
    }

    /// Methods of routes whose pattern matches `path` (`{name}` matches one segment).
    func methods(matching path: String) -> Set<HTTPRequest.Method> {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var methods: Set<HTTPRequest.Method> = []
        for route in routes {
            let pattern = route.path.split(separator: "/", omittingEmptySubsequences: true)
            guard pattern.count == segments.count else { continue }
            if zip(pattern, segments).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) { methods.insert(route.method) }
        }
        return methods
    }
}
