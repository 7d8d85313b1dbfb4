import Foundation
import PortcullisTestSupport
import PortcullisCore
import Testing

/// nginx from Debian's packages in front of a folder of media files, asking Portcullis through `auth_request`.
///
/// Runs where nginx is installed; with `PORTCULLIS_REQUIRE_NGINX=1` (set by CI) a missing nginx is a failure.
@Suite("nginx auth_request in front of media files")
struct NginxAuthRequestTests {
    static let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let required = ProcessInfo.processInfo.environment["PORTCULLIS_REQUIRE_NGINX"] == "1"

    @Test("allowed, tampered, expired and revoked requests", .enabled(if: nginx != nil || required))
    func authRequest() async throws {
        let nginx = try #require(Self.nginx, "nginx is required here (apt-get install nginx-light)")
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let media = directory + "/media"
        try FileManager.default.createDirectory(atPath: media + "/a", withIntermediateDirectories: true)
        try "the picture".write(toFile: media + "/a/g1.png", atomically: true, encoding: .utf8)

        try await TestServer.run(dataDirectory: directory) { client in
            try await client.seedSmallDirectory()
            let viewer = try await EndUserTests.signedIn(client, "m1")
            let url = try #require(try await viewer.get("/api/v1/generations/g1/media-url").json["url"] as? String)

            let proxy = try NginxProcess(executable: nginx, directory: directory + "/nginx", mediaRoot: media, upstreamPort: client.port)
            defer { proxy.stop() }
            let through = HTTPClient(port: proxy.port, bearer: nil)

            let allowed = try await through.get(url)
            #expect(allowed.status == 200 && allowed.text == "the picture", "\(allowed.status) \(allowed.text)")

            let tampered = url.replacingOccurrences(of: "uid=m1", with: "uid=owner")
            #expect(try await through.get(tampered).status == 403)
            #expect(try await through.get("/media/a/g1.png").status == 403, "no signature at all")

            let contents = try SigningKeyring.read(directory + "/signing-keys")
            let key = try #require(contents.keys.first { $0.kid == contents.active })
            let expires = Int(Date().timeIntervalSince1970) - 5
            let message = "portcullis-media-v1\na/g1.png\n\(expires)\n\(key.kid)\nm1\ng1"
            let signature = Base64URL.encode(Crypto.hmacSHA256(key: Base64URL.decode(key.secret) ?? [], message: Array(message.utf8)))
            #expect(try await through.get("/media/a/g1.png?expires=\(expires)&kid=\(key.kid)&uid=m1&gid=g1&sig=\(signature)").status == 403)

            #expect(try await client.delete("/api/v1/teams/t1/members/m1").status == 204)
            #expect(try await through.get(url).status == 403, "revoked: the user lost download")
        }
    }
}

/// An nginx master process on a free loopback port with the configuration of docs/media-urls.md.
struct NginxProcess {
    let pid: pid_t
    let port: Int

    init(executable: String, directory: String, mediaRoot: String, upstreamPort: Int) throws {
        try FileManager.default.createDirectory(atPath: directory + "/logs", withIntermediateDirectories: true)
        port = LoopbackSocket.freePort()
        let config = """
            user root;
            worker_processes 1;
            pid \(directory)/nginx.pid;
            error_log \(directory)/logs/error.log;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path \(directory)/body;
                proxy_temp_path \(directory)/proxy;
                fastcgi_temp_path \(directory)/fastcgi;
                uwsgi_temp_path \(directory)/uwsgi;
                scgi_temp_path \(directory)/scgi;
                server {
                    listen 127.0.0.1:\(port);
                    location /media/ {
                        auth_request /_portcullis_verify;
                        alias \(mediaRoot)/;
                    }
                    location = /_portcullis_verify {
                        internal;
                        proxy_pass http://127.0.0.1:\(upstreamPort)/api/v1/media/verify;
                        proxy_pass_request_body off;
                        proxy_set_header Content-Length "";
                        proxy_set_header X-Original-URI $request_uri;
                    }
                }
            }
            """
        try config.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        // posix_spawn rather than Foundation's Process, whose run() intermittently crashes on Linux in this toolchain.
        let arguments = [executable, "-p", directory, "-c", directory + "/nginx.conf", "-g", "daemon off;"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var child: pid_t = 0
        guard posix_spawn(&child, executable, &actions, nil, &argv, environ) == 0 else { throw NginxError(description: "cannot start \(executable)") }
        pid = child
        try Self.waitForListener(port: port, pid: child)
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// Waits (bounded, 10 s) until the port accepts a connection: nginx has no readiness signal of its own.
    private static func waitForListener(port: Int, pid: pid_t) throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == 0 else { throw NginxError(description: "nginx exited (status \(status))") }
            if LoopbackSocket.canConnect(port: port) { return }
            usleep(20_000)
        }
        throw NginxError(description: "nginx did not listen on \(port)")
    }

    struct NginxError: Error, CustomStringConvertible {
        var description: String
    }
}
