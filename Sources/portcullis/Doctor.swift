import ArgumentParser
import Foundation
import PortcullisCore
import PortcullisSQLite

/// `portcullis doctor`: read-only health checks of an installation.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the config, the database and the key files; one ok/warn/fail line each.",
        discussion: """
            Checks: SQLite's process settings, the config file loads (unknown keys, bad values), the database passes \
            integrity_check, the WAL size, pending migrations, admin.key and signing-keys are mode 0600 and owned by \
            the data directory's owner, and whether a server holds the data directory. Read-only; no network. Exit \
            status: 0 when nothing failed (warnings allowed), 1 otherwise.
            """)

    @OptionGroup var location: DataDirectoryOptions

    func run() throws {
        var findings: [DoctorFinding] = [
            SQLiteLibrary.memoryStatisticsAreOff
                ? DoctorFinding(.ok, "sqlite", "SQLite \(SQLiteLibrary.version), memory statistics off")
                : DoctorFinding(.warn, "sqlite",
                                "SQLite \(SQLiteLibrary.version), memory statistics on: every allocation takes a global lock"),
        ]
        var dataDirectory = location.dataDir
        do {
            let settings = try location.settings()
            let source = location.config ?? ProcessInfo.processInfo.environment["PORTCULLIS_CONFIG"]
            findings.append(DoctorFinding(.ok, "config", (source.map { "\($0) loads" } ?? "no config file, defaults")
                + ": data_dir \(settings.dataDirectory), listen \(settings.host):\(settings.port)"))
            dataDirectory = settings.dataDirectory
            // JWT callers: the table must be complete; a key file must be readable (a URL is not fetched: no network).
            do {
                if let jwt = try settings.jwt.configuration() {
                    if let file = settings.jwt.jwksFile, !FileManager.default.isReadableFile(atPath: file) {
                        findings.append(DoctorFinding(.fail, "auth.jwt", "cannot read jwks_file \(file)"))
                    } else {
                        findings.append(DoctorFinding(.ok, "auth.jwt", "JWTs from \(jwt.issuer) for \(jwt.audience), user claim \(jwt.userClaim)"))
                    }
                }
            } catch {
                findings.append(DoctorFinding(.fail, "auth.jwt", error.message))
            }
        } catch {
            findings.append(DoctorFinding(.fail, "config", "\(error)"))
        }
        if let dataDirectory {
            findings += DataDirectoryDoctor.examine(dataDirectory: dataDirectory)
        } else {
            findings.append(DoctorFinding(.fail, "data directory", "not checked: the config did not load and --data-dir was not given"))
        }
        for finding in findings {
            print("\(finding.verdict.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)) \(finding.subject): \(finding.detail)")
        }
        let failed = findings.filter { $0.verdict == .fail }.count
        let warned = findings.filter { $0.verdict == .warn }.count
        let worst = findings.map(\.verdict).max() ?? .ok
        print("verdict: \(worst.rawValue) (\(failed) failed, \(warned) warnings, \(findings.count) checks)")
        if failed > 0 { throw ExitCode(1) }
    }
}
