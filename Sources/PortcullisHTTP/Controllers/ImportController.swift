import Foundation
import HTTPTypes
import Hummingbird
import PortcullisCore

/// `POST /api/v1/import`: NDJSON, all or nothing. The body is spooled to a file in the data directory
/// (bounded by its own limit, default 2 GiB) and imported in one transaction off the request executor.
struct ImportController {
    let directory: any ImportStore
    let hasher: PasswordHasher
    let spoolDirectory: String
    let maxImportBytes: Int

    func addRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let controller = self
        router.route(.post, "/api/v1/import", in: table) { request, context in
            let path = try await controller.spool(request)
            defer { unlink(path) }
            let reader = try LineReader(path: path)
            let directory = controller.directory, hasher = controller.hasher
            // The caller and request id the change log records: task-locals do not follow the work onto a Dispatch thread.
            let attribution = WriteAttribution.current
            let written = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Written<ImportCounts>, any Error>) in
                DispatchQueue.global().async {
                    continuation.resume(with: Result {
                        try WriteAttribution.$current.withValue(attribution) { try directory.importRecords(from: reader, hasher: hasher) }
                    })
                }
            }
            return try .json(["imported": written.value], revision: written.revision)
        }
    }

    private func spool(_ request: Request) async throws -> String {
        try request.rejectDeclaredLength(over: maxImportBytes)
        let path = "\(spoolDirectory)/.import-\(Identifier.generate(prefix: "spool"))"
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: path)
        else { throw PortcullisError(.spoolFailed, "cannot write the import to \(spoolDirectory)") }
        defer { try? handle.close() }
        var total = 0
        do {
            for try await buffer in request.body {
                total += buffer.readableBytes
                guard total <= maxImportBytes else {
                    throw PortcullisError(.payloadTooLarge, "the import exceeds \(maxImportBytes) bytes")
                }
                try handle.write(contentsOf: Data(buffer: buffer))
            }
        } catch {
            unlink(path)
            throw error
        }
        return path
    }
}
