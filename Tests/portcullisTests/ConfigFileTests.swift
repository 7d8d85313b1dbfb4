import Foundation
import PortcullisCore
import PortcullisHTTP
import Testing

/// The config file is TOML 1.0 (TOMLKit), flattened to `section.key` → text for `SettingsLoader`.
@Suite("ConfigFile: TOML flattened to section.key → text")
struct ConfigFileTests {
    @Test("a file using tables, nested tables, arrays, inline comments and multi-line strings")
    func fullTOML() throws {
        let text = #"""
            # A comment line, then a key before any table.
            title = "top level"

            [server]
            host = "0.0.0.0"                  # an inline comment
            port = 0x1F90                     # 8080, hexadecimal
            max_body_bytes = 2_097_152
            quoted = "a \"quote\", a tab\t and # not a comment"
            literal = 'C:\no\escapes'
            motd = """
            first line
            second line"""
            joined = """\
                one \
                line"""

            [routes]
            fast = ["/api/v1/me", "/api/v1/media/*"]   # an array on one line
            background = [
                "/api/v1/import",   # one element per line, with comments
                "/metrics",
            ]
            flags = [true, false, 3]

            [cache]
            enabled = false

            [limits.per_user]                 # a nested table
            max = 10
            [limits.per_user.burst]
            seconds = 1

            [inline]
            point = { x = 1, y = -2 }
            """#
        let values = try ConfigFile.parse(text)
        #expect(values == [
            "title": "top level",
            "server.host": "0.0.0.0",
            "server.port": "8080",
            "server.max_body_bytes": "2097152",
            "server.quoted": "a \"quote\", a tab\t and # not a comment",
            "server.literal": #"C:\no\escapes"#,
            "server.motd": "first line\nsecond line",
            "server.joined": "one line",
            "routes.fast": "/api/v1/me, /api/v1/media/*",
            "routes.background": "/api/v1/import, /metrics",
            "routes.flags": "true, false, 3",
            "cache.enabled": "false",
            "limits.per_user.max": "10",
            "limits.per_user.burst.seconds": "1",
            "inline.point.x": "1",
            "inline.point.y": "-2",
        ])
    }

    @Test("settings load from TOML beyond the shipped file's subset: arrays for routes, literal and multi-line strings")
    func settingsFromFullTOML() throws {
        let text = #"""
            [server]
            host = "0.0.0.0"              # every interface
            port = 9_000
            idle_timeout_seconds = 0x3C   # 60

            [storage]
            data_dir = '/srv/portcullis data'
            synchronous = "normal"

            [media]
            public_base = """
            https://media.example.com\
            """

            [cache]
            enabled = false

            [routes]
            fast = ["/api/v1/me", "/custom/*"]
            background = [
                "/api/v1/import",         # one pattern per line
                "/metrics",
            ]
            """#
        let settings = try SettingsLoader.load(configText: text, environment: [:], flags: [:])
        #expect(settings.host == "0.0.0.0" && settings.port == 9000 && settings.idleTimeoutSeconds == 60)
        #expect(settings.dataDirectory == "/srv/portcullis data" && settings.synchronous == .normal)
        #expect(settings.mediaPublicBase == "https://media.example.com" && !settings.cacheEnabled)
        #expect(settings.routeClassifier.classify("/custom/thing") == .fast)
        #expect(settings.routeClassifier.classify("/metrics") == .background)
        // A list option still takes the comma-separated string it always took.
        let asString = try SettingsLoader.load(configText: "[routes]\nfast = \"/api/v1/me, /custom/*\"\n", environment: [:], flags: [:])
        #expect(asString.routeClassifier.classify("/custom/thing") == .fast)
    }

    @Test("the shipped packaging/portcullis.toml loads: one option set, every other line a comment")
    func shippedFile() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("packaging/portcullis.toml")
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(try ConfigFile.parse(text) == ["storage.data_dir": "/var/lib/portcullis"])
        #expect(try SettingsLoader.load(configText: text, environment: [:], flags: [:]).dataDirectory == "/var/lib/portcullis")
    }

    @Test("syntax errors are invalid_config with the line TOMLKit reports", arguments: [
        ("[server\nport = 1\n", 1),
        ("port 1\n", 1),
        ("[server]\nport = 1\nhost = \"unterminated\n", 3),
        ("[server]\n\n\nport = 1\nport = 2\n", 5),
        ("[server]\nport = 8080\n[server]\nhost = \"x\"\n", 3),
        ("[server]\nport = 1\nhost = bare\n", 3),
    ])
    func syntaxErrors(text: String, line: Int) {
        #expect {
            try ConfigFile.parse(text)
        } throws: { error in
            guard let error = error as? PortcullisError else { return false }
            return error.code == .invalidConfig && error.message.hasPrefix("config line \(line): ")
        }
    }

    @Test("values no option takes are errors that name the key", arguments: [
        ("[server]\nat = 07:32:00\n", "server.at"),
        ("[server]\nwhen = 2026-01-01\n", "server.when"),
        ("[routes]\nfast = [[\"/a\"], [\"/b\"]]\n", "routes.fast"),
        ("[routes]\nfast = [{ path = \"/a\" }]\n", "routes.fast"),
    ])
    func unsupportedValues(text: String, key: String) {
        #expect {
            try ConfigFile.parse(text)
        } throws: { error in
            guard let error = error as? PortcullisError else { return false }
            return error.code == .invalidConfig && error.message.contains("'\(key)'")
        }
    }

    @Test("a NUL byte is an error, not the silent end of the file")
    func nul() {
        #expect {
            try ConfigFile.parse("[server]\nport = 1\n\0\nport = 2\n")
        } throws: { error in
            (error as? PortcullisError)?.message.hasPrefix("config line 3: ") == true
        }
    }
}
