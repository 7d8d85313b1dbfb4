import PortcullisModel
import PortcullisSQLite
import PortcullisCache
import PortcullisStore
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// The process's resources, read from /proc (Linux) and the file system.
public struct SystemResources: Sendable, Codable, Equatable {
    /// CPU used by this process over the last sampling interval, as a percentage of all the machine's cores.
    public var cpuPercent: Double?
    /// Online processors.
    public var cpuCores: Int
    /// The process's resident memory (`VmRSS`), in bytes.
    public var residentBytes: Int?
    /// The machine's memory (`MemTotal`), in bytes.
    public var memoryTotalBytes: Int?
    /// Resident memory as a percentage of the machine's memory.
    public var memoryPercent: Double?
    /// File descriptors the process has open.
    public var openFiles: Int?
    /// The soft limit on open files (`RLIMIT_NOFILE`).
    public var openFilesLimit: Int?
    /// Bytes this process caused to be read from and written to storage since it started (/proc/self/io).
    public var diskReadBytes: Int?
    /// Bytes this process caused to be written to storage since it started.
    public var diskWriteBytes: Int?
    /// The database file's size, in bytes.
    public var databaseBytes: Int?
    /// The write-ahead log's size, in bytes; nil when there is none.
    public var walBytes: Int?

    enum CodingKeys: String, CodingKey {
        case cpuPercent = "cpu_percent", cpuCores = "cpu_cores", residentBytes = "rss_bytes", memoryTotalBytes = "memory_total_bytes"
        case memoryPercent = "memory_percent", openFiles = "open_files", openFilesLimit = "open_files_limit"
        case diskReadBytes = "disk_read_bytes", diskWriteBytes = "disk_write_bytes", databaseBytes = "database_bytes", walBytes = "wal_bytes"
    }
}

/// Reads `SystemResources`. CPU is a rate, so it is taken between two samples: the monitor's background service
/// samples every few seconds, and readers between samples see the last rate.
public final class SystemSampler: Sendable {
    /// The store's size on disk (database, write-ahead log), asked at each sample.
    let storageBytes: @Sendable () -> (database: Int?, log: Int?)
    private let last: Mutex<(cpuTicks: Int64, nanoseconds: Int64, percent: Double?)>
    private let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    /// Online processors, read once.
    public let cores = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))

    /// A sampler; `storageBytes` is asked for the store's sizes at each sample (pass `store.storageBytes`).
    public init(storageBytes: @escaping @Sendable () -> (database: Int?, log: Int?) = { (nil, nil) }) {
        self.storageBytes = storageBytes
        last = Mutex((Self.cpuTicks() ?? 0, monotonicNanoseconds(), nil))
    }

    /// Fresh figures; the CPU rate is recomputed when at least a second has passed since the last computation.
    public func sample() -> SystemResources {
        let cpu: Double? = last.withLock { last in
            let now = monotonicNanoseconds()
            guard now - last.nanoseconds >= 1_000_000_000, let ticks = Self.cpuTicks() else { return last.percent }
            let seconds = Double(ticks - last.cpuTicks) / ticksPerSecond
            let percent = seconds / (Double(now - last.nanoseconds) / 1e9) / Double(cores) * 100
            last = (ticks, now, (percent * 10).rounded() / 10)
            return last.percent
        }
        let memory = Self.keyed("/proc/meminfo")
        let status = Self.keyed("/proc/self/status")
        let io = Self.keyed("/proc/self/io")
        let rss = status["VmRSS"].map { $0 * 1024 }
        let total = memory["MemTotal"].map { $0 * 1024 }
        var limit = rlimit()
        let hasLimit = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0
        let storage = storageBytes()
        return SystemResources(
            cpuPercent: cpu, cpuCores: cores, residentBytes: rss, memoryTotalBytes: total,
            memoryPercent: rss.flatMap { rss in total.map { (Double(rss) / Double($0) * 1000).rounded() / 10 } },
            openFiles: Self.openFiles(), openFilesLimit: hasLimit ? Int(clamping: limit.rlim_cur) : nil,
            diskReadBytes: io["read_bytes"], diskWriteBytes: io["write_bytes"],
            databaseBytes: storage.database, walBytes: storage.log)
    }

    /// utime + stime of this process, in clock ticks (fields 14 and 15 of /proc/self/stat, counted after the
    /// parenthesised command name, which may itself contain spaces).
    static func cpuTicks() -> Int64? {
        guard let text = read("/proc/self/stat"), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Int64(fields[11]), let system = Int64(fields[12]) else { return nil }
        return user + system
    }

    /// `Key: value [kB]` lines as integers.
    static func keyed(_ path: String) -> [String: Int] {
        guard let text = read(path) else { return [:] }
        var values: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let number = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
            if let number { values[String(line[..<colon])] = number }
        }
        return values
    }

    static func openFiles() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            if entryName(entry).first != "." { count += 1 }
        }
        // The directory handle being read is itself one of the entries.
        return count - 1
    }

    /// A directory entry's name, read in place up to its NUL. Copying `d_name` (a 256-byte tuple) reads past a short
    /// record, and past the end of the mapped buffer when the record is the last one there: a crash seen in testing.
    static func entryName(_ entry: UnsafeMutablePointer<dirent>) -> String {
        withUnsafeMutablePointer(to: &entry.pointee.d_name) { name in
            name.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: name.pointee)) { String(cString: $0) }
        }
    }

    /// Open sockets of this process (its client connections, plus the listener): /proc/self/fd links to `socket:[…]`.
    public static func openSockets() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        var target = [CChar](repeating: 0, count: 64)
        while let entry = readdir(directory) {
            let name = entryName(entry)
            guard name.first != "." else { continue }
            let length = readlink("/proc/self/fd/" + name, &target, target.count - 1)
            if length >= 7, target.withUnsafeBufferPointer({ strncmp($0.baseAddress!, "socket:", 7) == 0 }) { count += 1 }
        }
        return count
    }

    static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
