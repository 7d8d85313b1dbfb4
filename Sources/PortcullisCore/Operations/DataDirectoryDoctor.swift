import PortcullisModel
import PortcullisStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One line of `portcullis doctor`: what was checked and how it went.
public struct DoctorFinding: Sendable, Equatable {
    /// How a check went, ordered `ok < warn < fail` so the worst finding sums up a run (`doctor` exits 1 on any `fail`).
    public enum Verdict: String, Sendable, Comparable {
        /// `ok`: as it should be; `warn`: works, but look at it; `fail`: the server cannot run (or run safely) like this.
        case ok, warn, fail

        /// `ok < warn < fail`.
        public static func < (lhs: Verdict, rhs: Verdict) -> Bool {
            let order: [Verdict] = [.ok, .warn, .fail]
            return order.firstIndex(of: lhs)! < order.firstIndex(of: rhs)!
        }
    }

    /// How the check went.
    public var verdict: Verdict
    /// What was checked, e.g. `database`, `admin.key`.
    public var subject: String
    /// What was found, and for a problem the command that fixes it (`chmod 600 …`, `chown …`).
    public var detail: String

    /// A finding.
    public init(_ verdict: Verdict, _ subject: String, _ detail: String) {
        self.verdict = verdict
        self.subject = subject
        self.detail = detail
    }
}

/// The checks of `portcullis doctor` on a data directory. Read-only: it applies no migration, writes nothing, and
/// makes no network call.
public enum DataDirectoryDoctor {
    /// A WAL above this means checkpoints are not keeping up (SQLite folds it back at about 4 MiB when it can).
    public static let walWarningBytes: Int64 = 64 << 20

    /// Checks the directory, the server's lock, the database (integrity, migrations, WAL size, ownership), `admin.key`
    /// and `signing-keys` (mode 0600, owner), in that order.
    ///
    /// ```swift
    /// let findings = DataDirectoryDoctor.examine(dataDirectory: "/var/lib/portcullis")
    /// let worst = findings.map(\.verdict).max() ?? .ok
    /// ```
    public static func examine(dataDirectory: String) -> [DoctorFinding] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dataDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            return [DoctorFinding(.fail, "data directory", "\(dataDirectory) does not exist")]
        }
        let owner = DataDirectoryOwnership.owner(of: dataDirectory)
        var findings = [DoctorFinding(.ok, "data directory", "\(dataDirectory) (owner \(userName(owner?.uid)))")]
        if let pid = DataDirectoryLock.holder(dataDirectory: dataDirectory) {
            findings.append(DoctorFinding(.ok, "server", pid > 0 ? "running (pid \(pid))" : "running"))
        } else {
            findings.append(DoctorFinding(.ok, "server", "not running"))
        }
        findings += database(dataDirectory + "/portcullis.sqlite", owner: owner?.uid)
        findings.append(secretFile(dataDirectory + "/admin.key", subject: "admin.key", owner: owner?.uid, readByServer: false,
                                   absent: "absent (PORTCULLIS_ADMIN_KEY is used, or the file was removed after use)"))
        var keys = secretFile(dataDirectory + "/signing-keys", subject: "signing-keys", owner: owner?.uid, readByServer: true,
                              absent: "absent (created on the first start)")
        if keys.verdict == .ok, FileManager.default.fileExists(atPath: dataDirectory + "/signing-keys") {
            do {
                let contents = try SigningKeyring.read(dataDirectory + "/signing-keys")
                let verifying = contents.keys.filter { !$0.retired }.count
                keys.detail += ", \(contents.keys.count) keys (\(verifying) verifying), active \(contents.active)"
            } catch {
                keys = DoctorFinding(.fail, "signing-keys", "unreadable: \(error)")
            }
        }
        findings.append(keys)
        return findings
    }

    private static func database(_ path: String, owner: uid_t?) -> [DoctorFinding] {
        guard FileManager.default.fileExists(atPath: path) else {
            return [DoctorFinding(.warn, "database", "\(path) does not exist yet (created on the first start)")]
        }
        var findings: [DoctorFinding] = []
        do {
            let inspection = try DatabaseInspection.inspect(path: path)
            if inspection.isIntact {
                let revision = inspection.revision.map { ", revision \($0)" } ?? ""
                findings.append(DoctorFinding(.ok, "database", "integrity_check ok, \(megabytes(DatabaseBackup.size(path)))\(revision)"))
            } else {
                findings.append(DoctorFinding(.fail, "database", "integrity_check: \(inspection.integrity.prefix(5).joined(separator: "; "))"))
            }
            if !inspection.unknown.isEmpty {
                findings.append(DoctorFinding(.fail, "migrations",
                                              "applied by a newer Portcullis: \(inspection.unknown.joined(separator: ", "))"))
            } else if !inspection.pending.isEmpty {
                findings.append(DoctorFinding(.warn, "migrations",
                                              "pending: \(inspection.pending.joined(separator: ", ")) (applied by the next serve)"))
            } else {
                findings.append(DoctorFinding(.ok, "migrations", "all \(inspection.applied.count) applied, none pending"))
            }
        } catch {
            findings.append(DoctorFinding(.fail, "database", "cannot read \(path): \(error)"))
        }
        let wal = DatabaseBackup.size(path + "-wal")
        if wal > walWarningBytes {
            findings.append(DoctorFinding(.warn, "wal", "\(megabytes(wal)): checkpoints are not keeping up (long-running reads?)"))
        } else {
            findings.append(DoctorFinding(.ok, "wal", FileManager.default.fileExists(atPath: path + "-wal") ? megabytes(wal) : "none"))
        }
        let strangers = [path, path + "-wal", path + "-shm"].filter { file in
            guard let owner, let fileOwner = DataDirectoryOwnership.owner(of: file) else { return false }
            return fileOwner.uid != owner
        }
        if !strangers.isEmpty {
            findings.append(DoctorFinding(.fail, "ownership", "\(strangers.joined(separator: ", ")) not owned by the data directory's owner "
                + "(\(userName(owner))), who runs the server: chown \(userName(owner)): them"))
        }
        return findings
    }

    /// A file of secrets: must be mode 0600; one the server reads must belong to the data directory's owner.
    private static func secretFile(_ path: String, subject: String, owner: uid_t?, readByServer: Bool, absent: String) -> DoctorFinding {
        var info = stat()
        guard stat(path, &info) == 0 else { return DoctorFinding(.ok, subject, absent) }
        let mode = info.st_mode & 0o7777
        guard mode == 0o600 else {
            return DoctorFinding(.fail, subject, "mode \(String(mode, radix: 8)), must be 600: chmod 600 \(path)")
        }
        if let owner, info.st_uid != owner {
            let message = "owned by \(userName(info.st_uid)), not by the data directory's owner \(userName(owner))"
            return readByServer
                ? DoctorFinding(.fail, subject, message + ", so the server cannot read it: chown \(userName(owner)) \(path)")
                : DoctorFinding(.warn, subject, message)
        }
        return DoctorFinding(.ok, subject, "mode 600")
    }

    private static func userName(_ uid: uid_t?) -> String {
        guard let uid else { return "?" }
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return String(uid) }
        return String(cString: name)
    }

    private static func megabytes(_ bytes: Int64) -> String {
        String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }
}
