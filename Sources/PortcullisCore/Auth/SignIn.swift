import PortcullisModel
import PortcullisCache
import PortcullisStore

/// Email and password sign-in: throttled per account and address, constant in its answers and comparable in its timing.
public struct SignIn: Sendable {
    /// A successful sign-in.
    public struct Result: Sendable {
        /// The bearer token (`pct_…`), to hand to the user once: only its SHA-256 is stored.
        public var token: String
        /// When the token expires, Unix **seconds**.
        public var expiresAt: Int64
        /// The user who signed in.
        public var user: User
    }

    let directory: any CredentialStore & SessionStore
    let throttle: LoginThrottle
    let hashing: PasswordHashingPool
    let tokenLifetimeSeconds: Int64
    let clock: WallClock
    /// Verified against when the email is unknown or has no password, so every failure costs one KDF run.
    let decoyHash: String
    /// Where every attempt is logged (SPEC 8.2: success, failure, throttling, with the client's address).
    let decisionLog: DecisionLog?

    /// A sign-in service.
    /// - Parameters:
    ///   - hasher: makes, once, the decoy hash that unknown emails are verified against; pass the server's hasher, so a
    ///     failure for an unknown email costs what a wrong password costs.
    ///   - tokenLifetimeSeconds: how long a token lives, in seconds.
    ///   - clock: read in seconds, for throttling windows and token expiry.
    ///   - decisionLog: logs every attempt as an `account` entry; nil logs nothing.
    public init(directory: any CredentialStore & SessionStore, hasher: PasswordHasher, throttle: LoginThrottle, hashing: PasswordHashingPool,
                tokenLifetimeSeconds: Int64, clock: WallClock = .system, decisionLog: DecisionLog? = nil) {
        self.clock = clock
        self.decisionLog = decisionLog
        self.directory = directory
        self.throttle = throttle
        self.hashing = hashing
        self.tokenLifetimeSeconds = tokenLifetimeSeconds
        self.decoyHash = hasher.hash(Base64URL.encode(Crypto.randomBytes(16)))
    }

    /// Signs in, or throws `invalid_credentials` (401) — the same for an unknown email, a wrong password, a user
    /// without a password and a disabled user — `rate_limited` (429) once failures pile up, `overloaded` (503) when
    /// the hashing pool is full, or `invalid_field` (400) for an email with control or invisible characters.
    ///
    /// ```swift
    /// let result = try await signIn.login(email: "ada@example.com", password: password, clientAddress: address)
    /// // result.token ("pct_…", shown once), result.expiresAt (Unix seconds)
    /// ```
    public func login(email: String, password: String, clientAddress: String) async throws -> Result {
        let email = try Validate.normalizedEmail(email)
        let now = clock.seconds()
        let credentials = try directory.userCredentials(email: email)
        // Keyed by the account, not the text typed: every spelling of one address counts together, and an email that
        // matches no account is counted the same way, so the answers never tell the two apart.
        let account = credentials.map { "user:" + $0.user.id } ?? "email:" + email
        let ticket: LoginThrottle.Ticket
        switch throttle.begin(account: account, address: clientAddress, now: now) {
        case .throttled(let seconds):
            logAttempt(credentials?.user.id, "throttled", clientAddress)
            throw PortcullisError(.rateLimited, "too many failed sign-ins; retry later", retryAfterSeconds: seconds)
        case .proceed(let granted):
            ticket = granted
        }
        let storedHash = credentials?.passwordHash ?? decoyHash
        let matches: Bool
        do {
            matches = try await hashing.run { PasswordHasher.verify(password, against: storedHash) }
        } catch {
            throttle.abandoned(ticket)
            logAttempt(credentials?.user.id, "overloaded", clientAddress)
            throw error
        }
        guard matches, let credentials, credentials.passwordHash != nil, credentials.user.status == .active else {
            logAttempt(credentials?.user.id, "invalid_credentials", clientAddress)
            throw PortcullisError(.invalidCredentials, "the email or password is not correct")
        }
        throttle.succeeded(ticket)
        let secret = UserTokenSecret.generate()
        let expiresAt = now + tokenLifetimeSeconds
        try await directory.createToken(userId: credentials.user.id, hash: secret.hash, expiresAt: expiresAt)
        logAttempt(credentials.user.id, "signed_in", clientAddress)
        return Result(token: secret.token, expiresAt: expiresAt, user: credentials.user)
    }

    /// Logs an attempt; no caller, since a sign-in has no credential yet (the account is `userId`, nil when the email
    /// matches none).
    private func logAttempt(_ userId: String?, _ reason: String, _ clientAddress: String) {
        decisionLog?.record(AccountEvent(action: .signIn, userId: userId, allowed: reason == "signed_in", reason: reason,
                                         clientAddress: clientAddress), caller: nil)
    }
}
