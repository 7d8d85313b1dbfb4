import Synchronization

/// Limits failed sign-ins per email and per client address, in fixed windows, with bounded memory.
///
/// Defaults are SPEC section 4's: 5 failures per email per 15 minutes, 20 per client address per minute.
/// At most `capacity` keys are tracked per kind; when full, expired windows are dropped first, then the oldest.
public final class LoginThrottle: Sendable {
    public struct Limit: Sendable {
        public var failures: Int
        public var windowSeconds: Int64

        public init(failures: Int, windowSeconds: Int64) {
            self.failures = failures
            self.windowSeconds = windowSeconds
        }
    }

    struct Window {
        var start: Int64
        var failures: Int
    }

    public let perEmail: Limit
    public let perAddress: Limit
    let capacity: Int
    private let emails = Mutex<[String: Window]>([:])
    private let addresses = Mutex<[String: Window]>([:])

    public init(perEmail: Limit = Limit(failures: 5, windowSeconds: 900), perAddress: Limit = Limit(failures: 20, windowSeconds: 60),
                capacity: Int = 100_000) {
        self.perEmail = perEmail
        self.perAddress = perAddress
        self.capacity = capacity
    }

    /// Seconds until another attempt is allowed, or nil when it is allowed now.
    public func retryAfter(email: String, address: String, now: Int64) -> Int? {
        let byEmail = emails.withLock { Self.blockedFor($0[email.lowercased()], limit: perEmail, now: now) }
        let byAddress = addresses.withLock { Self.blockedFor($0[address], limit: perAddress, now: now) }
        switch (byEmail, byAddress) {
        case (nil, nil): return nil
        case let (email?, address?): return max(email, address)
        case let (email?, nil): return email
        case let (nil, address?): return address
        }
    }

    public func recordFailure(email: String, address: String, now: Int64) {
        emails.withLock { Self.record(&$0, key: email.lowercased(), limit: perEmail, now: now, capacity: capacity) }
        addresses.withLock { Self.record(&$0, key: address, limit: perAddress, now: now, capacity: capacity) }
    }

    /// A successful sign-in clears the email's failures (not the address's: one address may try many emails).
    public func recordSuccess(email: String) {
        _ = emails.withLock { $0.removeValue(forKey: email.lowercased()) }
    }

    /// Keys currently tracked (emails, addresses), for tests and monitoring.
    public var trackedKeys: (emails: Int, addresses: Int) {
        (emails.withLock { $0.count }, addresses.withLock { $0.count })
    }

    private static func blockedFor(_ window: Window?, limit: Limit, now: Int64) -> Int? {
        guard let window, now < window.start + limit.windowSeconds, window.failures >= limit.failures else { return nil }
        return Int(window.start + limit.windowSeconds - now)
    }

    private static func record(_ table: inout [String: Window], key: String, limit: Limit, now: Int64, capacity: Int) {
        if var window = table[key], now < window.start + limit.windowSeconds {
            window.failures += 1
            table[key] = window
            return
        }
        if table.count >= capacity {
            table = table.filter { now < $0.value.start + limit.windowSeconds }
            if table.count >= capacity, let oldest = table.min(by: { $0.value.start < $1.value.start })?.key {
                table.removeValue(forKey: oldest)
            }
        }
        table[key] = Window(start: now, failures: 1)
    }
}
