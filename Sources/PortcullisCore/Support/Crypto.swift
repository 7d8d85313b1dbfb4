internal import Crypto
internal import CryptoExtras

/// The few cryptographic primitives Portcullis needs, from apple/swift-crypto (BoringSSL on Linux).
public enum Crypto {
    /// SHA-256 of `bytes`.
    public static func sha256<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        var hasher = SHA256()
        // Bearer tokens are hashed on every request: hash a contiguous view (a native String's UTF-8) without copying.
        if bytes.withContiguousStorageIfAvailable({ hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }) == nil {
            hasher.update(data: Array(bytes))
        }
        return Array(hasher.finalize())
    }

    /// HMAC-SHA256 of `message` under `key`.
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// PBKDF2-HMAC-SHA256.
    ///
    /// Uses swift-crypto's unchecked entry point: the checked one refuses fewer than 210,000 rounds, and stored hashes
    /// (and tests) may use fewer. `PasswordHasher` bounds the count it accepts.
    public static func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int, length: Int) -> [UInt8] {
        precondition((1...Int(UInt32.max)).contains(iterations), "PBKDF2 iterations must be in 1...\(UInt32.max), not \(iterations)")
        precondition(length > 0, "PBKDF2 output length must be positive, not \(length)")
        do {
            let key = try KDF.Insecure.PBKDF2.deriveKey(from: password, salt: salt, using: .sha256, outputByteCount: length,
                                                        unsafeUncheckedRounds: iterations)
            return key.withUnsafeBytes { Array($0) }
        } catch {
            // BoringSSL's PKCS5_PBKDF2_HMAC fails only on invalid parameters (excluded above) or when out of memory.
            fatalError("PBKDF2-HMAC-SHA256 failed: \(error)")
        }
    }

    /// `count` bytes from the operating system's secure random source (swift-crypto's key generation, which reads
    /// `SystemRandomNumberGenerator`: getrandom(2) on Linux).
    public static func randomBytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "a negative byte count: \(count)")
        guard count > 0 else { return [] }
        return SymmetricKey(size: SymmetricKeySize(bitCount: count * 8)).withUnsafeBytes { Array($0) }
    }

    /// Compares two byte strings in time that depends only on their lengths.
    ///
    /// Hand-written on purpose: swift-crypto compares digests, MACs and keys in constant time, but its byte-level
    /// `safeCompare` is internal, and wrapping arbitrary bytes in a `SymmetricKey` just to compare them would hide
    /// the intent.
    public static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}

/// Base64url without padding, for tokens and keys that travel in URLs and headers.
///
/// By hand because Foundation's base64 plus alphabet replacement cost 10.4 µs to encode 32 bytes and 7.1 µs to decode
/// 43 characters, against 0.48 µs and 0.96 µs here (`portcullis bench-parsers`, p50, 2026-11-30).
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The base64url text of `bytes`, without `=` padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)], alphabet[Int(value >> 6 & 63)], alphabet[Int(value & 63)]]
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let value = UInt32(bytes[index]) << 16
            output += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)]]
        } else if rest == 2 {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            output += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)], alphabet[Int(value >> 6 & 63)]]
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes of unpadded base64url text; nil at the first character outside the alphabet (`=` padding included).
    /// Lenient about the end: leftover bits that do not make a byte are dropped, so compare encodings, not decodings.
    public static func decode(_ string: String) -> [UInt8]? {
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in string.utf8 {
            guard let value = alphabet.firstIndex(of: byte) else { return nil }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(buffer >> UInt32(bits) & 0xFF))
            }
        }
        return output
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hexadecimal, two digits per byte.
    package var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
