import Foundation
import Testing

@testable import PortcullisCore
@testable import PortcullisPostgres

/// `SigningKeyring` on each of its storages: the rules of signing keys hold the same on the data directory's file and
/// on PostgreSQL (the latter only with `PORTCULLIS_TEST_POSTGRES_URL`; the file always).
@Suite("Signing keyring")
struct SigningKeyringTests {
    enum Storage: String, CaseIterable, CustomTestStringConvertible {
        case file, postgres

        var testDescription: String { rawValue }

        /// The storages this run can open.
        static var available: [Storage] { PostgresTestDatabase.isAvailable ? [.file, .postgres] : [.file] }

        /// A fresh keyring: a new file in a new folder, or a new schema.
        func keyring() throws -> SigningKeyring {
            switch self {
            case .file:
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-keys-\(UUID().uuidString)").path
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                return try SigningKeyring(path: folder + "/signing-keys")
            case .postgres:
                let store = try PostgresStore(try PostgresTestDatabase.freshConfiguration())
                return try SigningKeyring(postgres: store, timing: PostgresSigningKeyStorage.Timing(pollInterval: nil))
            }
        }
    }

    static func signed(_ keyring: SigningKeyring) throws -> MediaGrant {
        let signer = MediaURLSigner(keyring: keyring, publicBase: "", lifetimeSeconds: 60)
        let url = try signer.sign(mediaKey: "g1.png", userId: "u1", generationId: "g1", now: 100).url
        return try #require(MediaGrant(originalURI: url, basePath: ""))
    }

    static func verify(_ grant: MediaGrant, on keyring: SigningKeyring) -> MediaURLSigner.Rejection? {
        MediaURLSigner(keyring: keyring, publicBase: "", lifetimeSeconds: 60).verifySignature(grant, now: 101)
    }

    @Test("a new keyring holds one active key that signs and verifies", arguments: Storage.available)
    func fresh(_ storage: Storage) throws {
        let keyring = try storage.keyring()
        let contents = try keyring.contents()
        #expect(contents.keys.count == 1 && contents.keys[0].kid == contents.active && !contents.keys[0].retired)
        #expect(try keyring.activeKey().kid == contents.active)
        #expect(Self.verify(try Self.signed(keyring), on: keyring) == nil)
        #expect(keyring.verifyingKey(kid: "knothere1") == nil)
    }

    @Test("a rotation makes a new active key; URLs of the older key keep verifying until it is retired", arguments: Storage.available)
    func rotateThenRetire(_ storage: Storage) throws {
        let keyring = try storage.keyring()
        let old = try Self.signed(keyring)
        let rotated = try keyring.rotate()
        #expect(try keyring.activeKey() == rotated)
        #expect(try Self.signed(keyring).kid == rotated.kid)
        #expect(Self.verify(old, on: keyring) == nil)
        let retired = try keyring.retire(kid: old.kid)
        #expect(retired.kid == old.kid && retired.retired)
        #expect(Self.verify(old, on: keyring) == .unknownKey)
        let contents = try keyring.contents()
        #expect(contents.active == rotated.kid && contents.keys.map(\.kid) == [old.kid, rotated.kid])
        #expect(contents.keys.map(\.retired) == [true, false])
    }

    @Test("retiring the active key is a conflict, an unknown key is not found, a retired key again changes nothing",
          arguments: Storage.available)
    func retireRules(_ storage: Storage) throws {
        let keyring = try storage.keyring()
        let first = try keyring.activeKey()
        #expect { try keyring.retire(kid: first.kid) } throws: { ($0 as? PortcullisError)?.code == .conflict }
        #expect { try keyring.retire(kid: "knothere1") } throws: { ($0 as? PortcullisError)?.code == .notFound }
        _ = try keyring.rotate()
        _ = try keyring.retire(kid: first.kid)
        let before = try keyring.contents()
        #expect(try keyring.retire(kid: first.kid).retired)
        #expect(try keyring.contents() == before)
    }
}
