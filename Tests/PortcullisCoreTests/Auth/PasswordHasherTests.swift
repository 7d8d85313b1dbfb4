import Testing

@testable import PortcullisCore
@testable import PortcullisModel

@Suite("PasswordHasher")
struct PasswordHasherTests {
    static let hasher = PasswordHasher(iterations: 1000)

    @Test("a hash verifies its password and no other", arguments: ["correct horse battery", "pässwörd 🔑", "12345678"])
    func verify(_ password: String) {
        let phc = Self.hasher.hash(password)
        #expect(phc.hasPrefix("$pbkdf2-sha256$i=1000$"))
        #expect(PasswordHasher.isSupported(phc))
        #expect(PasswordHasher.verify(password, against: phc))
        #expect(!PasswordHasher.verify(password + "x", against: phc))
        #expect(!PasswordHasher.verify(String(password.dropLast()), against: phc))
        #expect(!PasswordHasher.verify("", against: phc))
    }

    @Test("salts differ, so equal passwords hash differently")
    func salted() {
        #expect(Self.hasher.hash("same password") != Self.hasher.hash("same password"))
    }

    @Test("the iteration count is read from the stored hash")
    func iterationsFromHash() {
        let phc = PasswordHasher(iterations: 2000).hash("password!")
        #expect(phc.hasPrefix("$pbkdf2-sha256$i=2000$"))
        #expect(PasswordHasher.verify("password!", against: phc))
        // The same salt and hash under another count must not verify.
        #expect(!PasswordHasher.verify("password!", against: phc.replacingOccurrences(of: "i=2000", with: "i=1000")))
    }

    @Test("hashes stored before the move to swift-crypto still verify", arguments: [
        // Produced by PasswordHasher with the system-libcrypto wrapper it used until then.
        "$pbkdf2-sha256$i=1000$3keVWcvIVqo5lTLo7bh-aA$JX4Tz_uyXTnyNCbKwXQ_p8o_N6mDRtX4XZvAQoQLf7I",
        "$pbkdf2-sha256$i=600000$RfeZx4mjSzCNIBX3bURTkw$-Y1ALy_DIPHqz0xqnNSMTx3FNffe2OSsjDLv6MUrPdw",
    ])
    func legacyHashes(_ phc: String) {
        #expect(PasswordHasher.verify("correct horse battery staple", against: phc))
        #expect(!PasswordHasher.verify("correct horse battery stapler", against: phc))
    }

    @Test("malformed or foreign PHC strings never verify", arguments: [
        "", "plain", "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        "$pbkdf2-sha256$i=10$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$pbkdf2-sha256$i=x$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        "$pbkdf2-sha256$i=1000$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA", "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$aGFzaA",
    ])
    func malformed(_ phc: String) {
        #expect(!PasswordHasher.isSupported(phc))
        #expect(!PasswordHasher.verify("password", against: phc))
    }
}
