import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis audit`: the audit logs, offline.
struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read the audit logs: the change log and the decision log.",
        subcommands: [AuditExport.self])
}

/// `portcullis audit export`: a log as NDJSON on standard output, oldest first.
struct AuditExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write an audit log to standard output as NDJSON, oldest first.",
        discussion: """
            --kind changes (the default) writes one change per line, as GET /api/v1/changes returns them, from the \
            oldest change retention kept; --kind decisions one logged decision per line, as \
            GET /api/v1/audit/decisions/{id} returns it, oldest first. Safe while the server runs (one snapshot per page). \
            Exit status: 0 written, 1 refused or failed.
            """)

    /// The logs there are.
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case changes, decisions
    }

    @OptionGroup var location: DataDirectoryOptions
    @Option(help: "Only entries recorded at or after this instant (RFC 3339, e.g. 2026-11-30T09:00:00Z).") var since: String?
    @Option(help: "The log to export: changes or decisions.") var kind: Kind = .changes

    func run() async throws {
        do {
            let settings = try location.settings()
            let cutoff = try since.map(Self.milliseconds)
            switch kind {
            case .changes:
                guard FileManager.default.fileExists(atPath: settings.databasePath) else {
                    throw PortcullisError(.unreadableFile, "no database at \(settings.databasePath)")
                }
                try await ChangeExport.write(store: SQLiteStore(settings.storeConfiguration), since: cutoff.map { Timestamp.format(epochMilliseconds: $0) },
                                             to: FileHandle.standardOutput)
            case .decisions:
                try DecisionLog.exportNDJSON(path: settings.decisionLogPath, since: cutoff) { line in
                    try FileHandle.standardOutput.write(contentsOf: Data(line.utf8))
                }
            }
        } catch let error as PortcullisError {
            FileHandle.standardError.write(Data("audit export failed: \(error.message)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// An RFC 3339 instant in Unix milliseconds, as the decision log keys its entries.
    static func milliseconds(_ text: String) throws -> Int64 {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        guard let date = formatter.date(from: text) ?? plain.date(from: text) else {
            throw PortcullisError.invalidField("since", "must be an RFC 3339 instant such as 2026-11-30T09:00:00Z")
        }
        return Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }
}

/// Writes the change log as NDJSON, page by page (the whole log is never in memory).
enum ChangeExport {
    /// Every change from the retention horizon on, recorded at or after `since` when given.
    static func write(store: any ChangeStore, since: String?, to output: FileHandle) async throws {
        var position = ChangePosition(revision: try await store.changeHorizon())
        while true {
            let page = try await store.changes(ChangeQuery(after: position, limit: ChangeQuery.maxLimit))
            guard !page.items.isEmpty else { return }
            var bytes: [UInt8] = []
            for change in page.items where since.map({ change.at >= $0 }) ?? true {
                bytes += change.json
                bytes.append(UInt8(ascii: "\n"))
            }
            if !bytes.isEmpty { try output.write(contentsOf: bytes) }
            position = page.end(after: position)
        }
    }
}
