import Foundation

/// The operations of `docs/openapi.yaml`, read with a line parser that knows only the document's own layout:
/// a path is a two-space-indented key under `paths:` starting with `/`, an operation a four-space-indented method key.
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

    let text: String

    init(contentsOf url: URL = OpenAPIDocument.fileURL) throws {
        text = try String(contentsOf: url, encoding: .utf8)
    }

    /// `"GET /api/v1/users/{id}"` for every operation.
    var operations: Set<String> {
        var operations: Set<String> = []
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty && !line.hasPrefix("#") {
                inPaths = line.hasPrefix("paths:")
                path = nil
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   "), let colon = line.lastIndex(of: ":") {
                path = String(line[line.index(line.startIndex, offsetBy: 2)..<colon])
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), let path {
                let key = line.dropFirst(4).prefix { $0 != ":" }
                if Self.methods.contains(String(key)) { operations.insert("\(key.uppercased()) \(path)") }
            }
        }
        return operations
    }
}
