import AsyncHTTPClient
import NIOCore
import PortcullisCore

/// A JSON Web Key Set fetched over HTTP (`auth.jwt.jwks_url`), with AsyncHTTPClient: certificate verification on,
/// a 10-second deadline, at most 1 MiB, a 200 only.
struct JWKSURL: JWKSSource {
    let url: String

    /// https, or http to a loopback host (an identity provider beside the server, and tests).
    static func isAllowed(_ url: String) -> Bool {
        let lowered = url.lowercased()
        if lowered.hasPrefix("https://") { return lowered.count > 8 }
        for host in ["http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/", "http://[::1]:", "http://[::1]/"]
        where lowered.hasPrefix(host) {
            return true
        }
        return false
    }

    func fetch() async throws -> [UInt8] {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/jwk-set+json, application/json")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        guard response.status == .ok else {
            throw PortcullisError(.unreadableFile, "the JWKS URL \(url) answered \(response.status.code)")
        }
        let body = try await response.body.collect(upTo: JWKSFile.maximumBytes)
        return Array(body.readableBytesView)
    }

    var location: String { url }
}
