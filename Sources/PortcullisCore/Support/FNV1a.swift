/// FNV-1a, 64 bits: a fast, unkeyed hash of bytes for lock striping, postings row keys and validators — never where
/// an attacker choosing the input could hurt (a hash table keyed by it would need a seeded hash).
///
/// ```swift
/// let shard = FNV1a.hash("d\u{1F}u1\u{1F}generation\u{1F}g1\u{1F}read") % 16
/// ```
public enum FNV1a {
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    @usableFromInline static let prime: UInt64 = 0x100_0000_01b3

    /// The hash of `bytes`, continuing from `hash` (the offset basis to start).
    @inlinable
    public static func hash(_ bytes: some Sequence<UInt8>, from hash: UInt64 = offsetBasis) -> UInt64 {
        var hash = hash
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* prime }
        return hash
    }

    /// The hash of a string's UTF-8 bytes, read in place.
    @inlinable
    public static func hash(_ text: String, from hash: UInt64 = offsetBasis) -> UInt64 {
        var text = text
        return text.withUTF8 { Self.hash($0, from: hash) }
    }

    /// The hash state after one more byte.
    @inlinable
    public static func step(_ hash: UInt64, _ byte: UInt8) -> UInt64 {
        (hash ^ UInt64(byte)) &* prime
    }
}
