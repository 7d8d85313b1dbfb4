import Foundation
import PortcullisCore
import Testing

/// Signed media URLs as an attacker handles them: one spelling per URL, tampering, expiry forged with the real key,
/// traversal, and signing keys that fail closed (SPEC 8.1).
@Suite("Security: signed media URLs")
struct SecurityMediaTests {
    static func verify(_ client: HTTPClient, _ uri: String) async throws -> HTTPClient.Response {
        try await client.withBearer(nil).send("GET", "/api/v1/media/verify", headers: ["X-Original-URI": uri])
    }

    /// A signed URL for m1 on g1 (`/media/a/g1.png?expires=…&kid=…&uid=m1&gid=g1&sig=…`).
    static func signedURL(_ client: HTTPClient) async throws -> String {
        let viewer = try await EndUserTests.signedIn(client, "m1")
        return try #require(try await viewer.get("/api/v1/generations/g1/media-url").json["url"] as? String)
    }

    @Test("only the exact path and canonical parameters verify; every other spelling is 403 malformed")
    func canonical() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let url = try await Self.signedURL(client)
            #expect(try await Self.verify(client, url).status == 204)
            let query = String(url.split(separator: "?")[1])
            let expires = try #require(query.split(separator: "&").first?.split(separator: "=").last)
            let variants = [
                "/evil/media/a/g1.png?\(query)", "/media/a/g1.png/..?\(query)", "/media//a/g1.png?\(query)", "/media/a/./g1.png?\(query)",
                "/x?next=/media/a/g1.png&\(query)", "/media/a%2Fg1.png?\(query)", "/media/a/g1.png?\(query)&expires=\(expires)",
                "/media/a/g1.png?\(query)&extra=1", "/media/a/g1.png?" + query.replacingOccurrences(of: "expires=\(expires)", with: "expires=+\(expires)"),
                "/media/a/g1.png?" + query.replacingOccurrences(of: "expires=\(expires)", with: "expires=0\(expires)"),
                "/media/a/g1.png?" + query.replacingOccurrences(of: "expires=\(expires)", with: "expires=\(expires).0"),
                "/media/a/g1.png?" + query.replacingOccurrences(of: "uid=m1", with: "uid=m%31"), "/media/a/g1.png", "",
            ]
            for variant in variants {
                let response = try await Self.verify(client, variant)
                #expect(response.status == 403 && response.errorCode == "malformed", "\(variant): \(response.status) \(response.text)")
            }
            // The query form is held to the same rules.
            let viaQuery = "/api/v1/media/verify?key=a/g1.png&" + query
            #expect(try await client.withBearer(nil).get(viaQuery).status == 204)
            #expect(try await client.withBearer(nil).get(viaQuery + "&key=b.png").status == 403)
            #expect(try await client.withBearer(nil).get(viaQuery.replacingOccurrences(of: "key=a/g1.png", with: "key=a/../g1.png")).status == 403)
        }
    }

    @Test("tampered, expired (forged with the real key) and other users' URLs are 403")
    func tamperedAndExpired() async throws {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await TestServer.run(dataDirectory: directory) { client in
            try await client.seedSmallDirectory()
            let url = try await Self.signedURL(client)
            let sig = try #require(url.split(separator: "&").last?.dropFirst(4))
            let flipped = String(sig.first == "A" ? "B" : "A") + sig.dropFirst()
            #expect(try await Self.verify(client, url.replacingOccurrences(of: "sig=\(sig)", with: "sig=\(flipped)")).errorCode == "bad_signature")
            #expect(try await Self.verify(client, url.replacingOccurrences(of: "gid=g1", with: "gid=g2")).errorCode == "bad_signature")
            let signer = MediaURLSigner(keyring: try SigningKeyring(path: directory + "/signing-keys"), publicBase: "", lifetimeSeconds: 60)
            let expired = try signer.sign(mediaKey: "a/g1.png", userId: "m1", generationId: "g1", now: WallClock.system.milliseconds() / 1000 - 120)
            let response = try await Self.verify(client, expired.url)
            #expect(response.status == 403 && response.errorCode == "expired")
            let fresh = try signer.sign(mediaKey: "a/g1.png", userId: "outsider", generationId: "g1", now: WallClock.system.milliseconds() / 1000)
            #expect(try await Self.verify(client, fresh.url).errorCode == "revoked", "a validly signed URL for a user without download")
        }
    }

    @Test("a retired key stops verifying; an unreadable or invalid key file fails closed, and recovers when fixed")
    func keysFailClosed() async throws {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await TestServer.run(dataDirectory: directory) { client in
            try await client.seedSmallDirectory()
            let path = directory + "/signing-keys"
            let old = try await Self.signedURL(client)
            let oldKid = try SigningKeyring.read(path).active
            try SigningKeyring.rotate(path: path)
            #expect(try await Self.verify(client, old).status == 204, "rotation keeps old URLs working")
            try SigningKeyring.retire(path: path, kid: oldKid)
            #expect(try await Self.verify(client, old).errorCode == "unknown_key")

            let current = try await Self.signedURL(client)
            let good = try Data(contentsOf: URL(fileURLWithPath: path))
            // Gone, garbage, or a key whose secret is empty: no key verifies and nothing is signed.
            var weak = try SigningKeyring.read(path)
            weak.keys[weak.keys.count - 1].secret = ""
            let weakData = try JSONEncoder().encode(weak)
            for broken in [nil, Data("not json".utf8), weakData] {
                try? FileManager.default.removeItem(atPath: path)
                if let broken { try broken.write(to: URL(fileURLWithPath: path)) }
                #expect(try await Self.verify(client, current).status == 403, "verified with a broken key file")
                let viewer = try await EndUserTests.signedIn(client, "m1")
                let signing = try await viewer.get("/api/v1/generations/g1/media-url")
                #expect(signing.status == 503 && signing.errorCode == "signing_keys_unreadable", "\(signing.text)")
            }
            try good.write(to: URL(fileURLWithPath: path))
            #expect(try await Self.verify(client, current).status == 204)
        }
    }

    @Test("with a public base that has a path, only <base path>/media/<key> verifies")
    func basePath() async throws {
        try await TestServer.run(configure: { $0.mediaPublicBase = "https://cdn.example.com/files/" }) { client in
            try await client.seedSmallDirectory()
            let url = try await Self.signedURL(client)
            #expect(url.hasPrefix("https://cdn.example.com/files/media/a/g1.png?"))
            let pathAndQuery = String(url.dropFirst("https://cdn.example.com".count))
            #expect(try await Self.verify(client, pathAndQuery).status == 204)
            #expect(try await Self.verify(client, pathAndQuery.replacingOccurrences(of: "/files/media/", with: "/media/")).status == 403)
            #expect(try await Self.verify(client, "/other" + pathAndQuery).status == 403)
        }
    }
}
