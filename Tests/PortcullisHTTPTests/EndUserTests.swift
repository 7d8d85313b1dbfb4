import Foundation
import PortcullisCore
import Testing

@Suite("End-user access to generations and signed media URLs")
struct EndUserTests {
    /// Signs `user` in (giving them a password first) and returns a client with their token.
    static func signedIn(_ client: HTTPClient, _ user: String) async throws -> HTTPClient {
        #expect(try await client.patch("/api/v1/users/\(user)", json: ["password": "\(user)-password"]).status == 200)
        let login = try await client.withBearer(nil).post("/api/v1/auth/login", json: ["email": "\(user)@example.com", "password": "\(user)-password"])
        return client.withBearer(try #require(login.json["token"] as? String))
    }

    @Test("GET/PATCH/DELETE: 404 identical to absent when unreadable, 403 when readable but not allowed")
    func generations() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            let viewer = try await Self.signedIn(client, "m1")
            let outsider = try await Self.signedIn(client, "outsider")
            let owner = try await Self.signedIn(client, "owner")

            #expect(try await viewer.get("/api/v1/generations/g1").json["id"] as? String == "g1")
            let hidden = try await outsider.get("/api/v1/generations/g1")
            let absent = try await outsider.get("/api/v1/generations/no-such")
            #expect(hidden.status == 404 && absent.status == 404)
            #expect(hidden.errorCode == absent.errorCode)
            #expect(hidden.errorMessage?.replacingOccurrences(of: "g1", with: "X") == absent.errorMessage?.replacingOccurrences(of: "no-such", with: "X"))
            #expect(try await outsider.patch("/api/v1/generations/g1", json: ["status": "failed"]).status == 404)
            #expect(try await outsider.delete("/api/v1/generations/g1").status == 404)

            #expect(try await viewer.patch("/api/v1/generations/g1", json: ["status": "failed"]).status == 403)
            #expect(try await viewer.delete("/api/v1/generations/g1").status == 403)
            #expect(try await viewer.patch("/api/v1/generations/g1", json: ["owner_id": "m1"]).status == 400, "end users cannot move ownership")

            #expect(try await client.put("/api/v1/teams/t1/members/m1", json: ["role": "editor"]).status == 200)
            let patched = try await viewer.patch("/api/v1/generations/g1", json: ["status": "failed"])
            #expect(patched.status == 200 && patched.json["status"] as? String == "failed")
            #expect(try await viewer.delete("/api/v1/generations/g1").status == 403, "editors may not delete")
            #expect(try await owner.delete("/api/v1/generations/g1").status == 204)
            #expect(try await owner.get("/api/v1/generations/g1").status == 404)
        }
    }

    @Test("media-url signs for users who may download; verify accepts it, and rejects tampering, other keys and revocation")
    func mediaURLs() async throws {
        try await TestServer.run { client in
            try await client.seedSmallDirectory()
            try await client.create("generations", ["id": "g-empty", "owner_id": "owner", "project_id": "p1"])
            let viewer = try await Self.signedIn(client, "m1")
            let outsider = try await Self.signedIn(client, "outsider")

            let signed = try await viewer.get("/api/v1/generations/g1/media-url")
            #expect(signed.status == 200, "\(signed.text)")
            let url = try #require(signed.json["url"] as? String)
            #expect(url.hasPrefix("/media/a/g1.png?expires="))
            #expect(url.contains("&kid=") && url.contains("&sig="))
            #expect((signed.json["expires_at"] as? String)?.hasSuffix("Z") == true)
            #expect(try await viewer.get("/api/v1/generations/g-empty/media-url").status == 409)
            #expect(try await outsider.get("/api/v1/generations/g1/media-url").status == 404)

            let anonymous = client.withBearer(nil)
            #expect(try await anonymous.send("GET", "/api/v1/media/verify", headers: ["X-Original-URI": url]).status == 204)
            let query = url.replacingOccurrences(of: "/media/a/g1.png?", with: "/api/v1/media/verify?key=a/g1.png&")
            #expect(try await anonymous.get(query).status == 204)

            let tampered = url.replacingOccurrences(of: "/media/a/g1.png", with: "/media/a/other.png")
            let rejected = try await anonymous.send("GET", "/api/v1/media/verify", headers: ["X-Original-URI": tampered])
            #expect(rejected.status == 403 && rejected.errorCode == "bad_signature")
            let otherUser = url.replacingOccurrences(of: "uid=m1", with: "uid=owner")
            #expect(try await anonymous.send("GET", "/api/v1/media/verify", headers: ["X-Original-URI": otherUser]).status == 403)
            #expect(try await anonymous.get("/api/v1/media/verify?key=a/g1.png").status == 403)

            // Losing download on the generation revokes the URL already handed out.
            #expect(try await client.delete("/api/v1/teams/t1/members/m1").status == 204)
            let revoked = try await anonymous.send("GET", "/api/v1/media/verify", headers: ["X-Original-URI": url])
            #expect(revoked.status == 403 && revoked.errorCode == "revoked")
        }
    }
}

@Suite("Media URL signing keys: rotation, retirement, expiry")
struct SigningKeyTests {
    @Test("after a rotation old URLs still verify and new ones use the new key; a retired key verifies nothing")
    func rotation() async throws {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await TestServer.run(dataDirectory: directory) { client in
            try await client.seedSmallDirectory()
            let viewer = try await EndUserTests.signedIn(client, "m1")
            let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/signing-keys")
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let old = try #require(try await viewer.get("/api/v1/generations/g1/media-url").json["url"] as? String)
            let oldKid = try SigningKeyring.read(directory + "/signing-keys").active

            let newKid = try SigningKeyring.rotate(path: directory + "/signing-keys")
            let new = try #require(try await viewer.get("/api/v1/generations/g1/media-url").json["url"] as? String)
            #expect(new.contains("kid=\(newKid)") && old.contains("kid=\(oldKid)"))
            let anonymous = client.withBearer(nil)
            #expect(try await anonymous.send("GET", "/api/v1/media/verify", headers: ["X-Original-URI": old]).status == 204)
            #expect(try await anonymous.send("GET", "/api/v1/media/verify", headers: ["X-Original-URI": new]).status == 204)

            try SigningKeyring.retire(path: directory + "/signing-keys", kid: oldKid)
            let retired = try await anonymous.send("GET", "/api/v1/media/verify", headers: ["X-Original-URI": old])
            #expect(retired.status == 403 && retired.errorCode == "unknown_key")
            #expect(try await anonymous.send("GET", "/api/v1/media/verify", headers: ["X-Original-URI": new]).status == 204)
        }
    }

    @Test("a correctly signed URL past its expiry is rejected")
    func expiry() async throws {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await TestServer.run(dataDirectory: directory) { client in
            try await client.seedSmallDirectory()
            let contents = try SigningKeyring.read(directory + "/signing-keys")
            let key = try #require(contents.keys.first { $0.kid == contents.active })
            let expires = Int(Date().timeIntervalSince1970) - 10
            let message = "portcullis-media-v1\na/g1.png\n\(expires)\n\(key.kid)\nm1\ng1"
            let signature = Base64URL.encode(Crypto.hmacSHA256(key: Base64URL.decode(key.secret) ?? [], message: Array(message.utf8)))
            let url = "/media/a/g1.png?expires=\(expires)&kid=\(key.kid)&uid=m1&gid=g1&sig=\(signature)"
            let response = try await client.withBearer(nil).send("GET", "/api/v1/media/verify", headers: ["X-Original-URI": url])
            #expect(response.status == 403 && response.errorCode == "expired")
            // The same URL with a future expiry (re-signed) passes: only the expiry made the difference.
            let future = expires + 3600
            let freshSignature = Base64URL.encode(Crypto.hmacSHA256(key: Base64URL.decode(key.secret) ?? [],
                message: Array("portcullis-media-v1\na/g1.png\n\(future)\n\(key.kid)\nm1\ng1".utf8)))
            let fresh = "/media/a/g1.png?expires=\(future)&kid=\(key.kid)&uid=m1&gid=g1&sig=\(freshSignature)"
            #expect(try await client.withBearer(nil).send("GET", "/api/v1/media/verify", headers: ["X-Original-URI": fresh]).status == 204)
        }
    }
}
