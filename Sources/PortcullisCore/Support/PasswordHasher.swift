/// Password hashes as PHC strings: `$pbkdf2-sha256$i=600000$<salt>$<hash>` (salt and hash base64url).
///
/// PBKDF2-HMAC-SHA256 at OWASP's current iteration count; the count is stored with each hash so it can be raised
/// later without invalidating existing passwords.
public struct PasswordHasher: Sendable {
    /// The PHC algorithm identifier this hasher writes and verifies.
    public static let algorithm = "pbkdf2-sha256"
    /// PBKDF2 rounds for new hashes. Verification uses the count stored in each hash, which must be 1,000...10,000,000.
    public var iterations: Int

    /// A hasher writing hashes with `iterations` rounds (OWASP's 600,000 by default; tests use fewer to stay fast).
    ///
    /// ```swift
    /// let hasher = PasswordHasher()
    /// let phc = hasher.hash("correct horse")          // "$pbkdf2-sha256$i=600000$…$…"
    /// PasswordHasher.verify("correct horse", against: phc)  // true
    /// ```
    public init(iterations: Int = 600_000) {
        self.iterations = iterations
    }

    /// A new PHC string for `password` with a fresh 16-byte salt and a 32-byte key.
    ///
    /// Deliberately slow (about a fifth of a second at the default count): on a server, run it on a
    /// `PasswordHashingPool` rather than on a request's task.
    public func hash(_ password: String) -> String {
        let salt = Crypto.randomBytes(16)
        let derived = Crypto.pbkdf2SHA256(password: Array(password.utf8), salt: salt, iterations: iterations, length: 32)
        return "$\(Self.algorithm)$i=\(iterations)$\(Base64URL.encode(salt))$\(Base64URL.encode(derived))"
    }

    /// Whether `phc` is a hash this hasher can verify.
    public static func isSupported(_ phc: String) -> Bool { Parsed(phc) != nil }

    /// Checks `password` against a stored PHC string in constant time.
    public static func verify(_ password: String, against phc: String) -> Bool {
        guard let parsed = Parsed(phc) else { return false }
        let derived = Crypto.pbkdf2SHA256(password: Array(password.utf8), salt: parsed.salt, iterations: parsed.iterations, length: parsed.hash.count)
        return Crypto.constantTimeEquals(derived, parsed.hash)
    }

    private struct Parsed {
        var iterations: Int
        var salt: [UInt8]
        var hash: [UInt8]

        init?(_ phc: String) {
            let parts = phc.split(separator: "$", omittingEmptySubsequences: false)
            guard parts.count == 5, parts[0].isEmpty, parts[1] == PasswordHasher.algorithm, parts[2].hasPrefix("i="),
                  let iterations = Int(parts[2].dropFirst(2)), (1_000...10_000_000).contains(iterations),
                  let salt = Base64URL.decode(String(parts[3])), salt.count >= 8,
                  let hash = Base64URL.decode(String(parts[4])), (16...64).contains(hash.count)
            else { return nil }
            self.iterations = iterations
            self.salt = salt
            self.hash = hash
        }
    }
}
