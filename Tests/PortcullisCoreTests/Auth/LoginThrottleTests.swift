import Testing

@testable import PortcullisCore

@Suite("Sign-in throttling: per email and per address windows, bounded memory")
struct LoginThrottleTests {
    @Test("the sixth failure for an email within 15 minutes is refused until the window ends")
    func perEmail() {
        let throttle = LoginThrottle()
        for attempt in 0..<5 {
            #expect(throttle.retryAfter(email: "A@x.test", address: "10.0.0.\(attempt)", now: 1_000) == nil)
            throttle.recordFailure(email: "a@x.test", address: "10.0.0.\(attempt)", now: 1_000)
        }
        #expect(throttle.retryAfter(email: "a@X.test", address: "10.0.0.9", now: 1_100) == 800)
        #expect(throttle.retryAfter(email: "a@x.test", address: "10.0.0.9", now: 1_900) == nil)
        throttle.recordSuccess(email: "a@x.test")
        #expect(throttle.retryAfter(email: "a@x.test", address: "10.0.0.9", now: 1_100) == nil)
    }

    @Test("twenty failures from one address within a minute block it across emails")
    func perAddress() {
        let throttle = LoginThrottle()
        for index in 0..<20 { throttle.recordFailure(email: "u\(index)@x.test", address: "203.0.113.7", now: 50) }
        #expect(throttle.retryAfter(email: "new@x.test", address: "203.0.113.7", now: 60) == 50)
        #expect(throttle.retryAfter(email: "new@x.test", address: "203.0.113.8", now: 60) == nil)
    }

    @Test("memory stays within capacity, dropping expired windows first, then the oldest")
    func bounded() {
        let throttle = LoginThrottle(capacity: 100)
        for index in 0..<10_000 {
            throttle.recordFailure(email: "e\(index)@x.test", address: "a\(index)", now: Int64(index / 10))
        }
        #expect(throttle.trackedKeys.emails <= 100 && throttle.trackedKeys.addresses <= 100)
        // The newest failures are the ones kept.
        for _ in 0..<4 { throttle.recordFailure(email: "e9999@x.test", address: "z", now: 999) }
        #expect(throttle.retryAfter(email: "e9999@x.test", address: "y", now: 999) != nil)
    }
}
