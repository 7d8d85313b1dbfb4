import PortcullisModel
import PortcullisCache
import PortcullisStore
import Foundation
import Synchronization

/// HMAC keys for media URLs: the one type that signs and verifies them, whatever keeps the keys.
///
/// One key is active and signs; older keys still verify until they are retired, so a rotation never breaks
/// URLs already handed out. Where the keys live is its `storage` (`SigningKeyStorage`):
///
/// - `<data-dir>/signing-keys` (JSON, mode 0600; `init(path:)`, `SigningKeyFile`): re-read when it changes (a `stat`
///   per use, compared by inode and modification time), so `portcullis keys rotate` reaches a running server at once.
///   It fails closed: when the file is gone, unreadable or invalid, no key verifies and nothing is signed until it is
///   readable again — a retired key never comes back because the file that retired it cannot be read.
/// - PostgreSQL (`init(postgres:)`, `PostgresSigningKeyStorage`), shared by every node, so any node verifies any URL
///   (SPEC 8.4); its bounds are on that type.
///
/// ```swift
/// let keyring = try SigningKeyring(path: dataDirectory + "/signing-keys")   // one node, SQLite
/// let shared = try SigningKeyring(postgres: store)                          // every node of a PostgreSQL deployment
/// let signer = MediaURLSigner(keyring: shared, publicBase: "https://cdn.example.com/files", lifetimeSeconds: 300)
/// ```
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
    /// Where the keys are kept.
    public let storage: any SigningKeyStorage
    /// Serializes this process's rotations and retirements, so two administrators rotating at once both get their key.
    private let writing = Mutex(())

    /// A keyring on `storage`, which already holds at least one key (its initializers create the first).
    public init(storage: any SigningKeyStorage) {
        self.storage = storage
    }

    /// Opens the keyring of a key file, creating it with one fresh key when the file does not exist.
    public convenience init(path: String) throws {
        self.init(storage: try SigningKeyFile(path: path))
    }

    /// The key that signs new URLs; throws `signing_keys_unreadable` (503) while the keys cannot be read.
    public func activeKey() throws(PortcullisError) -> Key {
        guard let contents = storage.current() ?? storage.reread(),
              let key = contents.keys.first(where: { $0.kid == contents.active && !$0.retired })
        else {
            throw PortcullisError(.signingKeysUnreadable, "the media signing keys cannot be read")
        }
        return key
    }

    /// A key that may still verify (present and not retired); nil for every kid while the keys cannot be read.
    ///
    /// A kid the keys in hand do not hold may have been made by another node since they were read: the storage is
    /// asked to read again (which it may refuse, to bound how often random kids reach it). A kid known to be retired
    /// is refused without reading again.
    public func verifyingKey(kid: String) -> Key? {
        if let contents = storage.current(), let key = contents.keys.first(where: { $0.kid == kid }) {
            return key.retired ? nil : key
        }
        return storage.reread()?.keys.first { $0.kid == kid && !$0.retired }
    }

    /// The keys as the storage holds them now (secrets included: callers show `kid`, `createdAt` and `retired` only).
    /// - Throws: as `read(_:)` does while the file cannot be read or is invalid; the store's errors on PostgreSQL.
    public func contents() throws -> Contents {
        try storage.contents()
    }

    /// Adds a new active key (older keys keep verifying) and returns it; takes effect for the next URL signed.
    public func rotate() throws -> Key {
        try writing.withLock { _ in
            let key = Self.newKey()
            try storage.rotate(adding: key)
            return key
        }
    }

    /// Retires a key and returns it: URLs signed with it stop verifying (at once on this node; on others within the
    /// storage's bound). `not_found` for an unknown key id, `conflict` for the active key (rotate first); retiring a
    /// retired key changes nothing.
    public func retire(kid: String) throws -> Key {
        try writing.withLock { _ in try storage.retire(kid: kid) }
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

    /// A fresh key: `k` and 8 base64url characters, a 32-byte random secret.
    static func newKey() -> Key {
        Key(kid: "k" + Base64URL.encode(Crypto.randomBytes(6)), secret: Base64URL.encode(Crypto.randomBytes(32)),
            createdAt: WallClock.system.timestamp(), retired: false)
    }

    /// Writes through a temporary file created 0600 and renamed, so readers never see half a file.
    static func write(_ contents: Contents, to path: String) throws {
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
