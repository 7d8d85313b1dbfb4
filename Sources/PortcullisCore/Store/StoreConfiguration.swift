import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite

/// How the SQLite store opens its database.
public struct StoreConfiguration: Sendable {
    /// `FULL` makes every acknowledged write survive power loss; `NORMAL` survives a process crash only.
    public enum Synchronous: String, Sendable, CaseIterable {
        case full = "FULL", normal = "NORMAL"
    }

    /// The database file, e.g. `<data-dir>/portcullis.sqlite`.
    public var path: String
    public var synchronous: Synchronous
    public var busyTimeoutMilliseconds: Int
    /// Read connections kept open for decisions.
    public var readerCapacity: Int

    public init(path: String, synchronous: Synchronous = .full, busyTimeoutMilliseconds: Int = 5_000, readerCapacity: Int = 16) {
        self.path = path
        self.synchronous = synchronous
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.readerCapacity = readerCapacity
    }
}
