import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PortcullisCore

/// Serves `web/` (embedded in the binary at build time) under `/dashboard`: no network beyond the appliance.
struct DashboardController {
    struct Asset {
        var body: ByteBuffer
        var contentType: String
        /// A strong validator of the bytes, so a browser revalidates cheaply and sees a new version at once.
        var etag: String
    }

    /// Decoded once at start: path → asset.
    let assets: [String: Asset]

    /// The page loads only its own files and talks only to this server: a CDN or external font would be refused.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    init(files: [String: String] = EmbeddedFiles.all) {
        var assets: [String: Asset] = [:]
        for (path, base64) in files {
            guard let data = Data(base64Encoded: base64) else { continue }
            assets[path] = Asset(body: ByteBuffer(bytes: data), contentType: Self.contentType(path), etag: Self.etag(data))
        }
        self.assets = assets
    }

    func addRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let controller = self
        router.route(.get, "/dashboard", in: table) { request, _ in try controller.serve("index.html", request: request) }
        router.route(.get, "/dashboard/{file}", in: table) { request, context in
            try controller.serve(context.parameters.require("file"), request: request)
        }
    }

    func serve(_ path: String, request: Request) throws -> Response {
        guard let asset = assets[path] else { throw PortcullisError(.notFound, "no dashboard file \(path)") }
        // Every file revalidates (a 304 on loopback costs nothing), so an upgraded binary never mixes old and new files.
        var headers: HTTPFields = [
            .cacheControl: "no-cache", .eTag: asset.etag, HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            .contentSecurityPolicy: Self.contentSecurityPolicy, HTTPField.Name("Referrer-Policy")!: "no-referrer",
        ]
        if let tags = request.headers[.ifNoneMatch], tags.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == asset.etag }) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = asset.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.body))
    }

    /// FNV-1a (64 bit) of the bytes: a validator, not a security measure.
    static func etag(_ data: Data) -> String {
        "\"\(String(FNV1a.hash(data), radix: 16))\""
    }

    static func contentType(_ path: String) -> String {
        switch path.split(separator: ".").last ?? "" {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "json": "application/json"
        default: "application/octet-stream"
        }
    }
}
