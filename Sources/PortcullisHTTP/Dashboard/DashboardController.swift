import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PortcullisCore

/// Serves `web/` (embedded in the binary at build time) under `/dashboard`: no network beyond the appliance.
struct DashboardController {
    /// Decoded once at start: path → (bytes, content type).
    let assets: [String: (body: ByteBuffer, contentType: String)]

    init(files: [String: String] = EmbeddedFiles.all) {
        var assets: [String: (ByteBuffer, String)] = [:]
        for (path, base64) in files {
            guard let data = Data(base64Encoded: base64) else { continue }
            assets[path] = (ByteBuffer(bytes: data), Self.contentType(path))
        }
        self.assets = assets
    }

    func addRoutes(to router: Router<AppRequestContext>, table: RouteTable) {
        let controller = self
        router.route(.get, "/dashboard", in: table) { _, _ in try controller.serve("index.html") }
        router.route(.get, "/dashboard/{file}", in: table) { _, context in try controller.serve(context.parameters.require("file")) }
    }

    func serve(_ path: String) throws -> Response {
        guard let asset = assets[path] else { throw PortcullisError(.notFound, code: "not_found", "no dashboard file \(path)") }
        // HTML revalidates on every load so a new version shows at once; other assets are cached briefly.
        let cacheControl = asset.contentType.hasPrefix("text/html") ? "no-cache" : "public, max-age=300"
        return Response(
            status: .ok,
            headers: [.contentType: asset.contentType, .cacheControl: cacheControl, HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
            body: .init(byteBuffer: asset.body))
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
