import Dispatch

/// Email and password sign-in: throttled, constant in its answers and comparable in its timing.
public struct SignIn: Sendable {
    public struct Result: Sendable {
        public var token: String
        public var expiresAt: Int64
        public var user: User
    }

    let directory: any DirectoryStore
    let throttle: LoginThrottle
    let tokenLifetimeSeconds: Int64
    /// Verified against when the email is unknown or has no password, so every failure costs one KDF run.
    let decoyHash: String

    public init(directory: any DirectoryStore, hasher: PasswordHasher, throttle: LoginThrottle, tokenLifetimeSeconds: Int64) {
        self.directory = directory
        self.throttle = throttle
        self.tokenLifetimeSeconds = tokenLifetimeSeconds
        self.decoyHash = hasher.hash(Base64URL.encode(Crypto.randomBytes(16)))
    }

    /// Signs in, or throws `invalid_credentials` (401) — the same for an unknown email, a wrong password,
    /// a user without a password and a disabled user — or `rate_limited` (429) once failures pile up.
    public func login(email: String, password: String, clientAddress: String) async throws -> Result {
        let now = Timestamp.nowMilliseconds() / 1000
        if let seconds = throttle.retryAfter(email: email, address: clientAddress, now: now) {
            throw PortcullisError(.rateLimited(retryAfterSeconds: max(1, seconds)), code: "rate_limited", "too many failed sign-ins; retry later")
        }
        let credentials = try await directory.userCredentials(email: email)
        let storedHash = credentials?.passwordHash ?? decoyHash
        let matches = await Self.verifyOffloaded(password, against: storedHash)
        guard matches, let credentials, credentials.passwordHash != nil, credentials.user.status == .active else {
            throttle.recordFailure(email: email, address: clientAddress, now: now)
            throw PortcullisError(.unauthenticated, code: "invalid_credentials", "the email or password is not correct")
        }
        throttle.recordSuccess(email: email)
        let secret = UserTokenSecret.generate()
        let expiresAt = now + tokenLifetimeSeconds
        try await directory.createToken(userId: credentials.user.id, hash: secret.hash, expiresAt: expiresAt)
        return Result(token: secret.token, expiresAt: expiresAt, user: credentials.user)
    }

    /// The KDF runs off the caller's executor: a deliberately slow hash must not stall other requests.
    static func verifyOffloaded(_ password: String, against hash: String) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: PasswordHasher.verify(password, against: hash)) }
        }
    }
}
