import PortcullisModel
import PortcullisCache
import PortcullisStore
import Synchronization

/// Limits failed sign-ins per account and per client address, in fixed windows, with bounded memory (SPEC 8.1).
///
/// An attempt first takes a ticket with `begin`: checking the limits and counting the attempt as a failure are one
/// step under one lock, so concurrent attempts can never run past a limit. A wrong password leaves that count as it
/// is; a right one ends the attempt with `succeeded` (its failure is taken back and the address's own failures for the
/// account are forgiven); an attempt that never checked a password ends with `abandoned` (taken back).
///
/// The per-account limit (default 5 per 15 minutes) refuses only addresses that themselves failed for that account in
/// the window: a guesser elsewhere cannot lock the owner out. Past the distributed limit (default 100 per account per
/// window) every address is refused. The per-address limit (default 20 per minute) counts failures from one address
/// over all accounts. Accounts are keyed by the user an email resolves to, or by the normalized email when it resolves
/// to none, so answers never tell an unknown email from a known one. At most `capacity` keys are tracked per table;
/// when one is full, expired windows go first, then the oldest.
public final class LoginThrottle: Sendable {
    /// A number of failures per fixed window.
    public struct Limit: Sendable {
        /// Failures that fill a window: once that many are counted, further attempts are refused until the window ends.
        public var failures: Int
        /// The window's length, in **seconds**, from the first failure counted in it (fixed, not sliding).
        public var windowSeconds: Int64

        /// `failures` per `windowSeconds` seconds.
        public init(failures: Int, windowSeconds: Int64) {
            self.failures = failures
            self.windowSeconds = windowSeconds
        }
    }

    /// The outcome of `begin`.
    public enum Verdict: Sendable, Equatable {
        /// Go on and check the password; a right one calls `succeeded`, an attempt that checked none `abandoned`.
        case proceed(Ticket)
        /// Refused before any password check: retry after this many seconds.
        case throttled(retryAfterSeconds: Int)
    }

    /// One attempt in progress.
    public struct Ticket: Sendable, Equatable {
        let account: String
        let address: String
    }

    struct Window {
        var start: Int64
        var failures: Int
    }

    struct Tables {
        var accounts: [String: Window] = [:]
        /// `account \u{1F} address`: an address's failures for one account.
        var pairs: [String: Window] = [:]
        var addresses: [String: Window] = [:]
    }

    /// Failures per account before the addresses that took part in them are refused (default 5 per 15 minutes).
    public let perAccount: Limit
    /// Failures per client address, over all accounts, before that address is refused (default 20 per minute).
    public let perAddress: Limit
    /// Failures per account from all addresses together past which everyone is refused (same window as `perAccount`).
    public let distributedFailures: Int
    let capacity: Int
    private let tables = Mutex(Tables())

    /// A throttle with SPEC 8.1's defaults; `distributedFailures` is raised to at least `perAccount.failures`, and
    /// `capacity` bounds each table (accounts, account–address pairs, addresses).
    public init(perAccount: Limit = Limit(failures: 5, windowSeconds: 900), perAddress: Limit = Limit(failures: 20, windowSeconds: 60),
                distributedFailures: Int = 100, capacity: Int = 100_000) {
        self.perAccount = perAccount
        self.perAddress = perAddress
        self.distributedFailures = max(distributedFailures, perAccount.failures)
        self.capacity = capacity
    }

    /// Checks the limits for an attempt on `account` from `address` and, when it may go on, counts it as a failure
    /// until it ends: both under one lock. `now` is Unix **seconds**.
    ///
    /// ```swift
    /// switch throttle.begin(account: "user:" + user.id, address: clientAddress, now: clock.seconds()) {
    /// case .throttled(let seconds):
    ///     throw PortcullisError(.rateLimited, "too many failed sign-ins; retry later", retryAfterSeconds: seconds)
    /// case .proceed(let ticket):
    ///     if passwordMatches { throttle.succeeded(ticket) }   // a wrong password leaves the failure counted
    /// }
    /// ```
    public func begin(account: String, address: String, now: Int64) -> Verdict {
        let pairKey = account + "\u{1F}" + address
        return tables.withLock { tables in
            var waits: [Int64] = []
            if let window = Self.current(tables.addresses[address], seconds: perAddress.windowSeconds, now: now),
               window.failures >= perAddress.failures {
                waits.append(window.start + perAddress.windowSeconds - now)
            }
            if let window = Self.current(tables.accounts[account], seconds: perAccount.windowSeconds, now: now) {
                let ends = window.start + perAccount.windowSeconds - now
                if window.failures >= distributedFailures { waits.append(ends) }
                let ownFailures = Self.current(tables.pairs[pairKey], seconds: perAccount.windowSeconds, now: now)?.failures ?? 0
                if window.failures >= perAccount.failures && ownFailures > 0 { waits.append(ends) }
            }
            if let wait = waits.max() { return .throttled(retryAfterSeconds: Int(max(1, wait))) }
            Self.add(&tables.accounts, key: account, seconds: perAccount.windowSeconds, now: now, capacity: capacity)
            Self.add(&tables.pairs, key: pairKey, seconds: perAccount.windowSeconds, now: now, capacity: capacity)
            Self.add(&tables.addresses, key: address, seconds: perAddress.windowSeconds, now: now, capacity: capacity)
            return .proceed(Ticket(account: account, address: address))
        }
    }

    /// The password was right: the attempt is not a failure, and this address's earlier failures for the account are
    /// forgiven (other addresses' stay counted).
    public func succeeded(_ ticket: Ticket) {
        tables.withLock { tables in
            let pairKey = ticket.account + "\u{1F}" + ticket.address
            let forgiven = tables.pairs.removeValue(forKey: pairKey)?.failures ?? 1
            Self.subtract(forgiven, from: &tables.accounts, key: ticket.account)
            Self.subtract(1, from: &tables.addresses, key: ticket.address)
        }
    }

    /// The attempt never checked a password (e.g. the hashing pool was full): take its provisional failure back.
    public func abandoned(_ ticket: Ticket) {
        tables.withLock { tables in
            Self.subtract(1, from: &tables.pairs, key: ticket.account + "\u{1F}" + ticket.address)
            Self.subtract(1, from: &tables.accounts, key: ticket.account)
            Self.subtract(1, from: &tables.addresses, key: ticket.address)
        }
    }

    /// Keys currently tracked (accounts, addresses), for tests and monitoring.
    public var trackedKeys: (accounts: Int, addresses: Int) {
        tables.withLock { ($0.accounts.count, $0.addresses.count) }
    }

    private static func current(_ window: Window?, seconds: Int64, now: Int64) -> Window? {
        guard let window, now < window.start + seconds else { return nil }
        return window
    }

    private static func subtract(_ failures: Int, from table: inout [String: Window], key: String) {
        guard var window = table[key] else { return }
        window.failures -= failures
        if window.failures <= 0 { table.removeValue(forKey: key) } else { table[key] = window }
    }

    private static func add(_ table: inout [String: Window], key: String, seconds: Int64, now: Int64, capacity: Int) {
        if var window = table[key], now < window.start + seconds {
            window.failures += 1
            table[key] = window
            return
        }
        if table[key] == nil, table.count >= capacity {
            table = table.filter { now < $0.value.start + seconds }
            if table.count >= capacity, let oldest = table.min(by: { $0.value.start < $1.value.start })?.key {
                table.removeValue(forKey: oldest)
            }
        }
        table[key] = Window(start: now, failures: 1)
    }
}
