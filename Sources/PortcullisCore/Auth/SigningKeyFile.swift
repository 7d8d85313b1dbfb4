import Foundation
import PortcullisModel
import Synchronization

/// The keys of one node, in `<data-dir>/signing-keys` (JSON, mode 0600): the storage of a SQLite appliance.
///
/// The file is re-read when it changes (a `stat` per use, compared by inode, modification and status-change time), so
/// `portcullis keys rotate` reaches a running server at once. While it is gone, unreadable or invalid, `current()` is
/// nil: nothing verifies or is signed until it is readable again.
public final class SigningKeyFile: SigningKeyStorage {
    /// The key file.
    public let path: String
    private struct Cache {
        /// Nil while the file cannot be read or is invalid.
        var contents: SigningKeyring.Contents?
        var version: FileVersion?
    }

    private let cache: Mutex<Cache>

    /// Opens the key file, creating it with one fresh key when it does not exist.
    /// - Throws: as `SigningKeyring.read(_:)` does for a file that exists but is unusable.
    public init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            try SigningKeyring.write(SigningKeyring.Contents(active: "", keys: []).adding(SigningKeyring.newKey()), to: path)
        }
        let contents = try SigningKeyring.read(path)
        cache = Mutex(Cache(contents: contents, version: FileVersion(path: path)))
    }

    /// The keys, re-read when the file was replaced or modified since the last read; nil while it cannot be read.
    public func current() -> SigningKeyring.Contents? {
        guard let version = FileVersion(path: path) else { return nil }
        return cache.withLock { cache in
            if version != cache.version {
                cache.contents = try? SigningKeyring.read(path)
                cache.version = version
            }
            return cache.contents
        }
    }

    /// The same as `current()`: every use already checks the file.
    public func reread() -> SigningKeyring.Contents? {
        current()
    }

    /// The file, read now.
    public func contents() throws -> SigningKeyring.Contents {
        try SigningKeyring.read(path)
    }

    /// Writes the file with `key` added and active.
    public func rotate(adding key: SigningKeyring.Key) throws {
        try SigningKeyring.write(try SigningKeyring.read(path).adding(key), to: path)
    }

    /// Marks the key retired in the file.
    public func retire(kid: String) throws -> SigningKeyring.Key {
        try SigningKeyring.retire(path: path, kid: kid)
        guard let key = try SigningKeyring.read(path).keys.first(where: { $0.kid == kid }) else {
            throw PortcullisError.notFound("signing key", kid)
        }
        return key
    }
}
