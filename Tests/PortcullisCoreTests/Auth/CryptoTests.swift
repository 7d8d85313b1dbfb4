import Testing

@testable import PortcullisCore
@testable import PortcullisModel

/// Known answers for the primitives behind tokens, API keys, media URL signatures and password hashes.
@Suite("Crypto")
struct CryptoTests {
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }

    @Test("SHA-256 (FIPS 180-2 examples), from a String's UTF-8 view and from an array")
    func sha256() {
        #expect(Self.hex(Crypto.sha256("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Self.hex(Crypto.sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Self.hex(Crypto.sha256([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // A collection without contiguous storage takes the copying path.
        #expect(Self.hex(Crypto.sha256("abc".utf8.lazy.map { $0 })) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("HMAC-SHA256 (RFC 4231 test case 2)")
    func hmac() {
        let mac = Crypto.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Self.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("PBKDF2-HMAC-SHA256 (RFC 7914 section 11)", arguments: [
        ("passwd", "salt", 1, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"),
        ("Password", "NaCl", 80000, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"),
    ])
    func pbkdf2(password: String, salt: String, iterations: Int, expected: String) {
        let derived = Crypto.pbkdf2SHA256(password: Array(password.utf8), salt: Array(salt.utf8), iterations: iterations, length: 64)
        #expect(Self.hex(derived) == expected)
    }

    @Test("PBKDF2 of an empty password (a sign-in with an empty field must not trap)")
    func pbkdf2EmptyPassword() {
        // Computed by the libcrypto wrapper this replaced, and by Python's hashlib.pbkdf2_hmac.
        let derived = Crypto.pbkdf2SHA256(password: [], salt: Array("saltsalt".utf8), iterations: 1000, length: 32)
        #expect(Self.hex(derived) == "3e0661ee06a100bed97329d06f71c16ab8ca76a14b7dc1fe6ad3f29ae3efffdb")
    }

    @Test("random bytes have the asked length and differ", arguments: [0, 1, 6, 16, 32, 33])
    func randomBytes(_ count: Int) {
        let first = Crypto.randomBytes(count)
        #expect(first.count == count)
        if count >= 16 { #expect(first != Crypto.randomBytes(count)) }
    }

    @Test("constant-time comparison")
    func constantTimeEquals() {
        #expect(Crypto.constantTimeEquals([], []))
        #expect(Crypto.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!Crypto.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!Crypto.constantTimeEquals([1, 2, 3], [1, 2]))
    }
}
