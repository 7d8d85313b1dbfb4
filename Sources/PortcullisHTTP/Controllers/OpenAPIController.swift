import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /api/v1/openapi.yaml`: the API description (`docs/openapi.yaml`, embedded in the binary at build time).
///
/// Public, like the health endpoints: it describes the API, it holds no data. A test keeps it and the route table equal.
struct OpenAPIController {
    static let path = "/api/v1/openapi.yaml"
    static let contentType = "application/yaml"

    /// The document's bytes, decoded once at start.
    let document: ByteBuffer

    init(files: [String: String] = EmbeddedDocs.all) {
        document = ByteBuffer(bytes: files["openapi.yaml"].flatMap { Data(base64Encoded: $0) } ?? Data())
    }

    func addRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let document = document
        router.route(.get, Self.path, in: table) { _, _ in
            Response(status: .ok, headers: [.contentType: Self.contentType], body: .init(byteBuffer: document))
        }
    }
}
