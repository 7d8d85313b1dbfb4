import HTTPTypes
import PortcullisCore

/// Counts a finished request in the monitor: `api_endpoint`, its route class, its status, and the SPEC section 6
/// endpoint series it belongs to (generation access, media URLs). Shared by the middleware and the fast path, so a
/// request is counted the same way, once, whichever path answered it.
struct RequestMetrics: Sendable {
    let monitor: PerformanceMonitor

    func record(method: HTTPRequest.Method, path: String, routeClass: RouteClass, status: Int, nanoseconds: Int64) {
        monitor.recordRequest(routeClass: routeClass.index, status: status, nanoseconds: nanoseconds, endpoint: Self.endpoint(method, path))
    }

    /// The SPEC section 6 endpoint series a request belongs to: generation access and media URLs.
    @inline(__always)
    static func endpoint(_ method: HTTPRequest.Method, _ path: String) -> MonitoredEndpoint? {
        guard method == .get, path.hasPrefix("/api/v1/generations/") else { return nil }
        if path.hasSuffix("/media-url") { return .mediaURL }
        return path.utf8.dropFirst("/api/v1/generations/".utf8.count).contains(UInt8(ascii: "/")) ? nil : .generationAccess
    }
}
