import Foundation
import PackagePlugin

/// Embeds a top-level folder of the package into the target as base64 string literals.
///
/// `PortcullisCore` gets `schema/` (the SQL migrations), `PortcullisHTTP` gets `web/` (the dashboard) and the
/// `portcullis` command gets `bench/` (the load scripts of `portcullis bench`), so the release binary carries them
/// and needs no resource bundle beside it.
@main
struct EmbedResources: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let folder: String
        switch target.name {
        case "PortcullisCore": folder = "schema"
        case "PortcullisHTTP": folder = "web"
        case "portcullis": folder = "bench"
        default: return []
        }
        let input = context.package.directoryURL.appending(path: folder)
        let files = try FileManager.default.subpathsOfDirectory(atPath: input.path())
            .filter { !$0.hasPrefix(".") }
            .sorted()
            .map { input.appending(path: $0) }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
        let output = context.pluginWorkDirectoryURL.appending(path: "Embedded_\(folder).swift")
        return [
            .buildCommand(
                displayName: "Embedding \(folder)/ into \(target.name)",
                executable: try context.tool(named: "embed-resources").url,
                arguments: [input.path(), output.path()],
                inputFiles: files,
                outputFiles: [output]
            )
        ]
    }
}
