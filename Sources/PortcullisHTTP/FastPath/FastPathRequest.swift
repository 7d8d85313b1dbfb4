import HTTPTypes
import NIOHTTP1

/// The parts of a request head the fast path reads, taken from the HTTP/1.1 decoder's head in one pass over its
/// header lines. A header sent more than once reads as its values joined with ", ", as the full path's `HTTPFields`
/// gives it, so both paths see the same value.
struct FastPathRequest {
    var method: HTTPRequest.Method
    /// The request target as sent: the fast path answers only the exact paths it knows, never a query or absolute form.
    var path: String
    var authorization: String?
    var requestId: String?
    var contentLength: String?
    var forwardedFor: [String] = []
    /// The path's class, set once the fast path accepts the request (`FastPathService.accepts`).
    var routeClass = RouteClass.normal

    /// Nil for anything but a keep-alive HTTP/1.1 GET or POST: the rest is the full path's to answer.
    init?(_ head: HTTPRequestHead) {
        guard head.version == .http1_1, head.isKeepAlive else { return nil }
        switch head.method {
        case .GET: method = .get
        case .POST: method = .post
        default: return nil
        }
        path = head.uri
        for (name, value) in head.headers {
            switch name.utf8.count {
            case 13 where Self.same(name, "authorization"): authorization = Self.joined(authorization, value)
            case 12 where Self.same(name, "x-request-id"): requestId = Self.joined(requestId, value)
            case 14 where Self.same(name, "content-length"): contentLength = Self.joined(contentLength, value)
            case 15 where Self.same(name, "x-forwarded-for"): forwardedFor.append(value)
            default: continue
            }
        }
    }

    private static func joined(_ earlier: String?, _ value: String) -> String {
        earlier.map { "\($0), \(value)" } ?? value
    }

    /// ASCII case-insensitive comparison with a lowercase name.
    @inline(__always)
    private static func same(_ name: String, _ lowercase: StaticString) -> Bool {
        var expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount).makeIterator()
        for byte in name.utf8 {
            guard let wanted = expected.next() else { return false }
            let lowered = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            guard lowered == wanted else { return false }
        }
        return expected.next() == nil
    }
}
