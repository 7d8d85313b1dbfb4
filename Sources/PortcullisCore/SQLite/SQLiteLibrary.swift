import CSQLiteSettings
import GRDBSQLite
import Synchronization

/// SQLite's process-wide settings, made once, before the library is first used.
///
/// Memory statistics are off: with them on (SQLite's default), each allocation SQLite makes takes a global mutex that
/// every connection shares, and a decision or a logged entry binds several texts, each copied into a new allocation.
/// Nothing in Portcullis reads those statistics.
///
/// ```swift
/// SQLiteLibrary.configure()   // first thing in main, before any connection opens
/// ```
package enum SQLiteLibrary {
    private static let memoryStatisticsOff = Atomic<Bool>(false)

    /// Applies the settings. SQLite accepts them only before its first use in the process; called later, it leaves
    /// the library as it is, and `memoryStatisticsAreOff` says so.
    package static func configure() {
        if portcullis_sqlite_disable_memory_statistics() == SQLITE_OK {
            memoryStatisticsOff.store(true, ordering: .relaxed)
        }
    }

    /// Whether `configure()` turned memory statistics off.
    package static var memoryStatisticsAreOff: Bool { memoryStatisticsOff.load(ordering: .relaxed) }

    /// The library's version, e.g. "3.40.1".
    package static var version: String { String(cString: sqlite3_libversion()) }
}
