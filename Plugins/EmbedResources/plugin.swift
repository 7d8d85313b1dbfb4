import Foundation
import PackagePlugin

/// Embeds a top-level folder of the package into the target as base64 string literals.
///
/// `PortcullisStore` gets `schema/`'s own files (the SQL migrations),
/// `PortcullisPostgres` gets `schema/postgres/` (the PostgreSQL migrations), `PortcullisHTTP` gets `web/` (the dashboard) and
/// `docs/openapi.yaml` (served at `/api/v1/openapi.yaml`), and the `portcullis` command gets `bench/` (the load scripts
/// of `portcullis bench`), so the release binary carries them and needs no resource bundle beside it.
@main
struct EmbedResources: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        switch target.name {
        // Only schema/'s own files: its postgres/ folder is PortcullisPostgres's, embedded there alone, so a binary
        // holds one copy of each migration (which packaging/build-deb.sh checks against the checkout).
        case "PortcullisStore":
            let migrations = try FileManager.default.contentsOfDirectory(atPath: context.package.directoryURL.appending(path: "schema").path())
                .filter { $0.hasSuffix(".sql") }
            return [try embed("schema", only: migrations, context: context, target: target)]
        case "PortcullisPostgres": return [try embed("schema/postgres", enumName: "EmbeddedPostgresSchema", context: context, target: target)]
        // The OpenAPI document is served at /api/v1/openapi.yaml; the rest of docs/ stays out of the binary.
        case "PortcullisHTTP":
            return [try embed("web", context: context, target: target),
                    try embed("docs", only: ["openapi.yaml"], enumName: "EmbeddedDocs", context: context, target: target)]
        case "portcullis": return [try embed("bench", context: context, target: target)]
        default: return []
        }
    }

    /// One command writing `enum <enumName> { static let all }` from `folder` (or only the files named in `only`).
    private func embed(_ folder: String, only: [String]? = nil, enumName: String = "EmbeddedFiles", context: PluginContext,
                       target: Target) throws -> Command {
        let input = context.package.directoryURL.appending(path: folder)
        let files = try FileManager.default.subpathsOfDirectory(atPath: input.path())
            .filter { !$0.hasPrefix(".") && (only?.contains($0) ?? true) }
            .sorted()
            .map { input.appending(path: $0) }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
        let output = context.pluginWorkDirectoryURL.appending(path: "Embedded_\(folder.replacingOccurrences(of: "/", with: "_")).swift")
        return .buildCommand(
            displayName: "Embedding \(folder)/ into \(target.name)",
            executable: try context.tool(named: "embed-resources").url,
            arguments: [input.path(), output.path(), enumName] + (only ?? []),
            inputFiles: files,
            outputFiles: [output]
        )
    }
}
