import Foundation
import Yams

/// `docs/openapi.yaml`, loaded with a YAML parser: a document that is not valid YAML fails here, before any client
/// or contract fuzzer reads it.
struct OpenAPIDocument {
    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    /// The repository's `docs/openapi.yaml`, found from this source file.
    static var fileURL: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url.appendingPathComponent("docs/openapi.yaml")
    }

    struct NotAnOpenAPIDocument: Error, CustomStringConvertible {
        let description: String
    }

    /// The document's top-level mapping.
    let root: [String: Any]

    init(contentsOf url: URL = OpenAPIDocument.fileURL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        guard let root = try Yams.load(yaml: text) as? [String: Any] else {
            throw NotAnOpenAPIDocument(description: "the top level of \(url.path) is not a mapping")
        }
        self.root = root
    }

    /// `"GET /api/v1/users/{id}"` for every operation under `paths`.
    var operations: Set<String> {
        get throws {
            guard let paths = root["paths"] as? [String: Any] else { throw NotAnOpenAPIDocument(description: "no paths mapping") }
            var operations: Set<String> = []
            for (path, item) in paths {
                guard let item = item as? [String: Any] else { throw NotAnOpenAPIDocument(description: "\(path) is not a mapping") }
                for method in item.keys where Self.methods.contains(method) {
                    operations.insert("\(method.uppercased()) \(path)")
                }
            }
            return operations
        }
    }
}
