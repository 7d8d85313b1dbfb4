/// Where a `SigningKeyring` keeps its keys: the data directory's file (`SigningKeyFile`, one node) or PostgreSQL
/// (`PostgresSigningKeyStorage`, every node of a shared deployment).
///
/// The keyring asks `current()` on every URL it signs or verifies, so it must not wait for I/O beyond a `stat`; it
/// calls `reread()` only for a key id `current()` does not hold, or when `current()` has nothing. Both fail closed:
/// nil means no key verifies and nothing is signed.
public protocol SigningKeyStorage: Sendable {
    /// The keys to sign and verify with now; nil while they cannot be read or are too old to trust.
    func current() -> SigningKeyring.Contents?
    /// The keys after reading them again, when the storage allows a read now; otherwise what `current()` returns.
    func reread() -> SigningKeyring.Contents?
    /// The keys as stored this moment (for listings); throws when they cannot be read.
    func contents() throws -> SigningKeyring.Contents
    /// Adds `key` as the active key; every other key keeps its state.
    func rotate(adding key: SigningKeyring.Key) throws
    /// Retires a key and returns it: `not_found` for an unknown key id, `conflict` for the active key; retiring a
    /// retired key changes nothing.
    func retire(kid: String) throws -> SigningKeyring.Key
}
