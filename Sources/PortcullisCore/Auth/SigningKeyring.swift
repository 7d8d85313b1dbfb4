import PortcullisModel
import PortcullisCache
import PortcullisStore
import Foundation
import Synchronization

/// HMAC keys for media URLs, kept in `<data-dir>/signing-keys` (JSON, mode 0600).
///
/// One key is active and signs; older keys still verify until they are retired, so a rotation never breaks
/// URLs already handed out. The file is re-read when it changes (a `stat` per use, compared by inode and modification
/// time), so `portcullis keys rotate` reaches a running server at once. It fails closed: when the file is gone,
/// unreadable or invalid, no key verifies and nothing is signed until it is readable again — a retired key never
/// comes back because the file that retired it cannot be read.
public final class SigningKeyring: Sendable {
    /// One key as the file stores it.
    public struct Key: Sendable, Codable, Equatable {
        /// The key id URLs carry (`k` and 8 base64url characters for generated keys).
        public var kid: String
        /// The HMAC secret, base64url: at least 32 bytes decoded (generated keys have 32).
        public var secret: String
        /// When the key was made (RFC 3339 UTC).
        public var createdAt: String
        /// A retired key verifies nothing; it stays listed in the file.
        public var retired: Bool

        enum CodingKeys: String, CodingKey {
            case kid, secret, createdAt = "created_at", retired
        }

        /// Checked by `read`: every key loaded decodes to at least `minimumSecretBytes`.
        var secretBytes: [UInt8] { Base64URL.decode(secret) ?? [] }
    }

    /// The file's contents: which key signs, and every key.
    public struct Contents: Sendable, Codable, Equatable {
        /// The `kid` of the key that signs; it must be present and not retired.
        public var active: String
        /// Every key, retired ones included, in the order they were added.
        public var keys: [Key]
    }

    /// Shorter secrets are refused: an HMAC key must not be guessable.
    public static let minimumSecretBytes = 32
    /// The key file, `<data-dir>/signing-keys`.
    public let path: String
    private struct Cache {
        /// Nil while the file cannot be read or is invalid.
        var contents: Contents?
        var version: FileVersion?
    }

    private let cache: Mutex<Cache>
    /// Serializes this process's rotations and retirements, so two administrators rotating at once both get their key.
    private let writing = Mutex(())

    /// Opens the keyring, creating it with one fresh key when the file does not exist.
    public init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            try Self.write(Contents(active: "", keys: []).adding(Self.newKey()), to: path)
        }
        let contents = try Self.read(path)
        cache = Mutex(Cache(contents: contents, version: FileVersion(path: path)))
    }

    /// The key that signs new URLs; throws `signing_keys_unreadable` (503) while the file cannot be read.
    public func activeKey() throws(PortcullisError) -> Key {
        guard let contents = current(), let key = contents.keys.first(where: { $0.kid == contents.active && !$0.retired }) else {
            throw PortcullisError(.signingKeysUnreadable, "the media signing keys cannot be read")
        }
        return key
    }

    /// A key that may still verify (present and not retired); nil for every kid while the file cannot be read.
    public func verifyingKey(kid: String) -> Key? {
        current()?.keys.first { $0.kid == kid && !$0.retired }
    }

    /// The keys as the file holds them now (secrets included: callers show `kid`, `createdAt` and `retired` only).
    /// - Throws: as `read(_:)` does while the file cannot be read or is invalid.
    public func contents() throws -> Contents {
        try Self.read(path)
    }

    /// Adds a new active key to this keyring's file (older keys keep verifying) and returns it; takes effect for the
    /// next URL signed.
    public func rotate() throws -> Key {
        try writing.withLock { _ in
            let key = Self.newKey()
            try Self.write(try Self.read(path).adding(key), to: path)
            return key
        }
    }

    /// Retires a key of this keyring's file and returns it: URLs signed with it stop verifying at once. `not_found` for
    /// an unknown key id, `conflict` for the active key (rotate first); retiring a retired key changes nothing.
    public func retire(kid: String) throws -> Key {
        try writing.withLock { _ in
            try Self.retire(path: path, kid: kid)
            guard let key = try Self.read(path).keys.first(where: { $0.kid == kid }) else { throw PortcullisError.notFound("signing key", kid) }
            return key
        }
    }

    /// Adds a new active key; older keys keep verifying. Returns the new key id.
    @discardableResult
    public static func rotate(path: String) throws -> String {
        let key = newKey()
        try write(try read(path).adding(key), to: path)
        return key.kid
    }

    /// Stops a key from verifying. The active key cannot be retired (rotate first).
    public static func retire(path: String, kid: String) throws {
        var contents = try read(path)
        guard let index = contents.keys.firstIndex(where: { $0.kid == kid }) else {
            throw PortcullisError.notFound("signing key", kid)
        }
        guard contents.active != kid else {
            throw PortcullisError(.conflict, "'\(kid)' is the active key; rotate before retiring it")
        }
        contents.keys[index].retired = true
        try write(contents, to: path)
    }

    /// Reads and validates a key file (for `portcullis keys` and `doctor`; the running keyring reads through it too).
    /// - Throws: `signing_keys_unreadable`, `signing_keys_invalid` (bad JSON, a short or non-base64url secret, an active key
    ///   missing or retired) or `signing_keys_empty`.
    public static func read(_ path: String) throws -> Contents {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PortcullisError(.signingKeysUnreadable, "cannot read \(path)")
        }
        guard let contents = try? JSONDecoder().decode(Contents.self, from: data) else {
            throw PortcullisError(.signingKeysInvalid, "\(path) is not a signing key file")
        }
        guard !contents.keys.isEmpty else { throw PortcullisError(.signingKeysEmpty, "\(path) holds no keys") }
        for key in contents.keys {
            guard MediaGrant.isToken(key.kid), let secret = Base64URL.decode(key.secret), secret.count >= minimumSecretBytes else {
                throw PortcullisError(.signingKeysInvalid, "\(path): key '\(key.kid)' needs a base64url secret of at least \(minimumSecretBytes) bytes")
            }
        }
        guard contents.keys.contains(where: { $0.kid == contents.active && !$0.retired }) else {
            throw PortcullisError(.signingKeysInvalid, "\(path): the active key '\(contents.active)' is missing or retired")
        }
        return contents
    }

    /// The keys, re-read when the file was replaced or modified since the last read; nil while it cannot be read.
    private func current() -> Contents? {
        guard let version = FileVersion(path: path) else { return nil }
        return cache.withLock { cache in
            if version != cache.version {
                cache.contents = try? Self.read(path)
                cache.version = version
            }
            return cache.contents
        }
    }

    private static func newKey() -> Key {
        Key(kid: "k" + Base64URL.encode(Crypto.randomBytes(6)), secret: Base64URL.encode(Crypto.randomBytes(32)),
            createdAt: WallClock.system.timestamp(), retired: false)
    }

    /// Writes through a temporary file created 0600 and renamed, so readers never see half a file.
    private static func write(_ contents: Contents, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(contents)
        // A unique name per write, so two concurrent rotations cannot interleave in one temporary file.
        let temporary = path + ".tmp-" + Identifier.generate(prefix: "w")
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw PortcullisError(.signingKeysUnwritable, "cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            throw PortcullisError(.signingKeysUnwritable, "cannot replace \(path)")
        }
    }
}

extension SigningKeyring.Contents {
    func adding(_ key: SigningKeyring.Key) -> Self {
        var copy = self
        copy.keys.append(key)
        copy.active = key.kid
        return copy
    }
}

/// Identifies one version of a file: replaced files get a new inode, edited ones a new modification time, and a
/// `chmod` a new status-change time (so a file made unreadable is noticed too).
struct FileVersion: Equatable {
    var inode: UInt64
    var seconds: Int
    var nanoseconds: Int
    var changeSeconds: Int
    var changeNanoseconds: Int

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        inode = UInt64(info.st_ino)
        seconds = Int(info.st_mtim.tv_sec)
        nanoseconds = Int(info.st_mtim.tv_nsec)
        changeSeconds = Int(info.st_ctim.tv_sec)
        changeNanoseconds = Int(info.st_ctim.tv_nsec)
    }
}
