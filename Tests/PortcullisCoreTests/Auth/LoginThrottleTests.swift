import Testing

@testable import PortcullisCore
@testable import PortcullisModel

@Suite("Sign-in throttling: per account, per address, distributed, atomic, bounded")
struct LoginThrottleTests {
    /// Begins an attempt and, when it proceeds, leaves it counted as a failure (a wrong password).
    @discardableResult
    static func fail(_ throttle: LoginThrottle, _ account: String, _ address: String, at now: Int64) -> LoginThrottle.Verdict {
        throttle.begin(account: account, address: address, now: now)
    }

    static func retryAfter(_ verdict: LoginThrottle.Verdict) -> Int? {
        if case .throttled(let seconds) = verdict { return seconds }
        return nil
    }

    @Test("past five failures an address that failed for the account is refused until the window ends")
    func perAccount() {
        let throttle = LoginThrottle()
        for _ in 0..<5 { #expect(Self.retryAfter(Self.fail(throttle, "user:a", "10.0.0.1", at: 1_000)) == nil) }
        #expect(Self.retryAfter(throttle.begin(account: "user:a", address: "10.0.0.1", now: 1_100)) == 800)
        #expect(Self.retryAfter(throttle.begin(account: "user:a", address: "10.0.0.1", now: 1_900)) == nil, "a new window")
    }

    @Test("the owner at an address with no failures is not locked out by a guesser elsewhere")
    func guesserCannotLockOutOwner() {
        let throttle = LoginThrottle()
        for _ in 0..<5 { Self.fail(throttle, "user:a", "203.0.113.66", at: 100) }
        #expect(Self.retryAfter(throttle.begin(account: "user:a", address: "203.0.113.66", now: 101)) != nil, "the guesser is refused")
        guard case .proceed(let ticket) = throttle.begin(account: "user:a", address: "10.0.0.7", now: 102) else {
            Issue.record("the owner's address was refused")
            return
        }
        throttle.succeeded(ticket)
        #expect(Self.retryAfter(throttle.begin(account: "user:a", address: "203.0.113.66", now: 103)) != nil, "success elsewhere forgives nobody else")
    }

    @Test("past the distributed limit every address is refused")
    func distributed() {
        let throttle = LoginThrottle(distributedFailures: 100)
        for index in 0..<100 { #expect(Self.retryAfter(Self.fail(throttle, "user:a", "10.1.\(index / 250).\(index % 250)", at: 10)) == nil) }
        #expect(Self.retryAfter(throttle.begin(account: "user:a", address: "192.0.2.1", now: 11)) == 899)
        #expect(Self.retryAfter(throttle.begin(account: "user:b", address: "192.0.2.1", now: 11)) == nil, "other accounts are untouched")
    }

    @Test("twenty failures from one address within a minute block it across accounts")
    func perAddress() {
        let throttle = LoginThrottle()
        for index in 0..<20 { Self.fail(throttle, "email:u\(index)@x.test", "203.0.113.7", at: 50) }
        #expect(Self.retryAfter(throttle.begin(account: "email:new@x.test", address: "203.0.113.7", now: 60)) == 50)
        #expect(Self.retryAfter(throttle.begin(account: "email:new@x.test", address: "203.0.113.8", now: 60)) == nil)
    }

    @Test("a success forgives its own address's failures; an abandoned attempt is not counted")
    func successAndAbandon() {
        let throttle = LoginThrottle()
        for _ in 0..<4 { Self.fail(throttle, "user:a", "10.0.0.1", at: 0) }
        guard case .proceed(let ticket) = throttle.begin(account: "user:a", address: "10.0.0.1", now: 1) else {
            Issue.record("the fifth attempt was refused")
            return
        }
        throttle.succeeded(ticket)
        for _ in 0..<5 { #expect(Self.retryAfter(Self.fail(throttle, "user:a", "10.0.0.1", at: 2)) == nil) }
        #expect(Self.retryAfter(throttle.begin(account: "user:a", address: "10.0.0.1", now: 3)) != nil)

        let other = LoginThrottle()
        for _ in 0..<10 {
            guard case .proceed(let ticket) = other.begin(account: "user:b", address: "10.0.0.2", now: 0) else {
                Issue.record("an abandoned attempt was counted")
                return
            }
            other.abandoned(ticket)
        }
    }

    @Test("checking and counting are one step: 30 concurrent attempts, exactly 5 proceed")
    func atomic() async {
        let throttle = LoginThrottle()
        let proceeded = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<30 {
                group.addTask {
                    if case .proceed = throttle.begin(account: "user:a", address: "10.0.0.1", now: 5) { return true }
                    return false
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(proceeded == 5)
    }

    @Test("memory stays within capacity, dropping expired windows first, then the oldest")
    func bounded() {
        let throttle = LoginThrottle(capacity: 100)
        for index in 0..<10_000 { Self.fail(throttle, "email:e\(index)@x.test", "a\(index)", at: Int64(index / 10)) }
        #expect(throttle.trackedKeys.accounts <= 100 && throttle.trackedKeys.addresses <= 100)
        // The newest failures are the ones kept.
        for _ in 0..<5 { Self.fail(throttle, "email:e9999@x.test", "z", at: 999) }
        #expect(Self.retryAfter(throttle.begin(account: "email:e9999@x.test", address: "z", now: 999)) != nil)
    }
}
