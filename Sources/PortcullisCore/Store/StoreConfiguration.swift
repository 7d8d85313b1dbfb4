import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite

/// How the SQLite store opens its database.
public struct StoreConfiguration: Sendable {
    /// `FULL` makes every acknowledged write survive power loss; `NORMAL` survives a process crash only.
    public enum Synchronous: String, Sendable, CaseIterable {
        /// SQLite's `PRAGMA synchronous` values of the same names (`FULL` is the default).
        case full = "FULL", normal = "NORMAL"
    }

    /// The database file, e.g. `<data-dir>/portcullis.sqlite`.
    public var path: String
    /// How durable an acknowledged write is (see `Synchronous`); applied to every GRDB connection.
    public var synchronous: Synchronous
    /// How long, in **milliseconds**, a connection waits for a lock before giving up (a write then fails with `store_busy`).
    public var busyTimeoutMilliseconds: Int
    /// Read connections kept open for decisions.
    public var readerCapacity: Int

    /// A configuration with the defaults: `FULL`, 5,000 ms busy timeout, 16 reader connections.
    ///
    /// ```swift
    /// let store = try StoreBackend.open(StoreConfiguration(path: dataDirectory + "/portcullis.sqlite"), onCommit: versions.apply)
    /// ```
    public init(path: String, synchronous: Synchronous = .full, busyTimeoutMilliseconds: Int = 5_000, readerCapacity: Int = 16) {
        self.path = path
        self.synchronous = synchronous
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.readerCapacity = readerCapacity
    }
}
