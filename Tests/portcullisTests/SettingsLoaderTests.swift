import Foundation
import Logging
import PortcullisCore
import PortcullisHTTP
import Testing

@Suite("Settings: flags > PORTCULLIS_* environment > config file > defaults")
struct SettingsLoaderTests {
    @Test("defaults are safe: loopback, port 8080, ./data, synchronous FULL, 1 MiB bodies")
    func defaults() throws {
        let settings = try SettingsLoader.load(configText: nil, environment: [:], flags: [:])
        #expect(settings.host == "127.0.0.1" && settings.port == 8080 && settings.dataDirectory == "./data")
        #expect(settings.synchronous == .full && settings.maxBodyBytes == 1 << 20 && settings.maxImportBytes == 2 << 30)
        #expect(settings.adminKey == nil)
    }

    @Test("each layer overrides the one below", arguments: [
        (nil, nil, nil, 8080),
        ("9001", nil, nil, 9001),
        ("9001", "9002", nil, 9002),
        ("9001", "9002", "9003", 9003),
        (nil, nil, "9003", 9003),
    ] as [(String?, String?, String?, Int)])
    func precedence(file: String?, environment: String?, flag: String?, expected: Int) throws {
        let settings = try SettingsLoader.load(
            configText: file.map { "# comment\n[server]\nport = \($0) # trailing\n" },
            environment: environment.map { ["PORTCULLIS_PORT": $0] } ?? [:],
            flags: flag.map { ["server.port": $0] } ?? [:])
        #expect(settings.port == expected)
    }

    @Test("storage.backend: sqlite by default; postgres needs a valid storage.postgres_url, from the file or the environment")
    func storageBackend() throws {
        let defaults = try SettingsLoader.load(configText: nil, environment: [:], flags: [:])
        #expect(defaults.storageBackend == .sqlite && defaults.postgres == nil)
        guard case .sqlite = defaults.storage else {
            Issue.record("the default storage is SQLite")
            return
        }
        let text = "[storage]\nbackend = \"postgres\"\npostgres_url = \"postgres://app@db.internal/portcullis?sslmode=verify-full\"\n"
        let fromFile = try SettingsLoader.load(configText: text, environment: [:], flags: [:])
        #expect(fromFile.storageBackend == .postgres && fromFile.postgres?.host == "db.internal" && fromFile.postgres?.tls == .verifyFull)
        let fromEnvironment = try SettingsLoader.load(configText: nil, environment: [
            "PORTCULLIS_STORAGE_BACKEND": "postgres", "PORTCULLIS_POSTGRES_URL": "postgres://app:pw@127.0.0.1:6543/p?sslmode=disable",
        ], flags: [:])
        guard case .postgres(let configuration) = fromEnvironment.storage else {
            Issue.record("PORTCULLIS_STORAGE_BACKEND=postgres selects PostgreSQL")
            return
        }
        #expect(configuration.port == 6543 && configuration.password == "pw" && configuration.tls == .disable)
        #expect(configuration.maximumConnections == 8 && configuration.readerCapacity == 8)
        let sized = try SettingsLoader.load(configText: text + "postgres_max_connections = 3\n", environment: [:], flags: [:])
        #expect(sized.postgres?.maximumConnections == 3 && sized.postgres?.readerCapacity == 3)
        #expect {
            try SettingsLoader.load(configText: nil, environment: ["PORTCULLIS_STORAGE_POSTGRES_MAX_CONNECTIONS": "0"], flags: [:])
        } throws: { error in
            (error as? PortcullisError)?.message == "postgres_max_connections: must be an integer in 1...1000"
        }

        let refusals: [([String: String], String)] = [
            (["PORTCULLIS_STORAGE_BACKEND": "mysql"], "storage.backend: must be sqlite or postgres, not 'mysql'"),
            (["PORTCULLIS_STORAGE_BACKEND": "postgres"], "storage.postgres_url: required when storage.backend is postgres"),
            (["PORTCULLIS_STORAGE_BACKEND": "postgres", "PORTCULLIS_POSTGRES_URL": "postgres://app@db/p?sslmode=allow"],
             "storage.postgres_url: sslmode must be disable, require or verify-full, not 'allow'"),
            (["PORTCULLIS_POSTGRES_URL": "http://db/p"], "storage.postgres_url: the scheme must be postgres:// or postgresql://"),
            (["PORTCULLIS_STORAGE_BACKEND": "postgres", "PORTCULLIS_POSTGRES_URL": "postgres://app@db/p",
              "PORTCULLIS_STORAGE_POSTGRES_PASSWORD_FILE": "/nonexistent/postgres.password"],
             "storage.postgres_password_file: cannot read /nonexistent/postgres.password"),
        ]
        for (environment, message) in refusals {
            #expect {
                try SettingsLoader.load(configText: nil, environment: environment, flags: [:])
            } throws: { error in
                guard let error = error as? PortcullisError else { return false }
                return error.code == .invalidConfig && error.message.hasPrefix(message)
            }
        }
    }

    @Test("serve on postgres without a shared PORTCULLIS_ADMIN_KEY is refused, with invalid_config and before touching the data directory")
    func serveRefusesPostgres() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-refuse-\(UUID().uuidString)").path
        let settings = try SettingsLoader.load(configText: nil, environment: [
            "PORTCULLIS_STORAGE_BACKEND": "postgres", "PORTCULLIS_POSTGRES_URL": "postgres://app@127.0.0.1:1/p?sslmode=disable",
            "PORTCULLIS_DATA_DIR": directory,
        ], flags: [:])
        await #expect {
            _ = try await buildApplication(settings, logger: Logger(label: "test"))
        } throws: { error in
            guard let error = error as? PortcullisError else { return false }
            return error.code == .invalidConfig && error.message.contains("set PORTCULLIS_ADMIN_KEY")
        }
        #expect(!FileManager.default.fileExists(atPath: directory), "nothing was created")
    }

    @Test("the config file understands strings, integers, booleans and sections")
    func configFile() throws {
        let text = """
            [server]
            host = "0.0.0.0"
            max_body_bytes = 2_097_152
            [storage]
            data_dir = "/var/lib/portcullis"   # where the database lives
            synchronous = "normal"
            """
        let settings = try SettingsLoader.load(configText: text, environment: ["PORTCULLIS_ADMIN_KEY": "pcs_x"], flags: [:])
        #expect(settings.host == "0.0.0.0" && settings.maxBodyBytes == 2_097_152)
        #expect(settings.dataDirectory == "/var/lib/portcullis" && settings.synchronous == .normal)
        #expect(settings.adminKey == "pcs_x")
    }

    @Test("[audit] reads the decision log's mode, sample rate (a float), cap and retention, from the file and the environment")
    func audit() throws {
        let text = "[audit]\ndecisions = \"sampled\"\nsample_rate = 0.25\nmax_bytes = 2_097_152\nretention_days = 30\n"
        let settings = try SettingsLoader.load(configText: text, environment: [:], flags: [:])
        #expect(settings.decisionLog.mode == .sampled && settings.decisionLog.sampleRate == 0.25)
        #expect(settings.decisionLog.maxBytes == 2_097_152 && settings.decisionLog.retentionDays == 30)
        let environment = ["PORTCULLIS_AUDIT_DECISIONS": "all", "PORTCULLIS_AUDIT_SAMPLE_RATE": "1"]
        let overridden = try SettingsLoader.load(configText: text, environment: environment, flags: [:])
        #expect(overridden.decisionLog.mode == .all && overridden.decisionLog.sampleRate == 1)
        let defaults = try SettingsLoader.load(configText: nil, environment: [:], flags: [:]).decisionLog
        #expect(defaults.mode == .denies && defaults.maxBytes == 1 << 30 && defaults.retentionDays == 90)
    }

    @Test("log.format: text by default, json from the file or PORTCULLIS_LOG_FORMAT (the environment wins)", arguments: [
        (nil, nil, LogFormat.text), ("json", nil, .json), ("text", "json", .json), ("json", "text", .text), (nil, "JSON", .json),
    ] as [(String?, String?, LogFormat)])
    func logFormat(file: String?, environment: String?, expected: LogFormat) throws {
        let settings = try SettingsLoader.load(configText: file.map { "[log]\nformat = \"\($0)\"\n" },
                                               environment: environment.map { ["PORTCULLIS_LOG_FORMAT": $0] } ?? [:], flags: [:])
        #expect(settings.logFormat == expected)
    }

    @Test("an unknown log format is invalid_config naming log.format and the choices", arguments: [
        ("[log]\nformat = \"xml\"\n", [String: String]()), (nil, ["PORTCULLIS_LOG_FORMAT": "logfmt"]), ("[log]\nformat = \"\"\n", [:]),
    ] as [(String?, [String: String])])
    func invalidLogFormat(text: String?, environment: [String: String]) {
        #expect {
            try SettingsLoader.load(configText: text, environment: environment, flags: [:])
        } throws: { error in
            guard let error = error as? PortcullisError else { return false }
            return error.code == .invalidConfig && error.message.contains("log.format") && error.message.contains("text or json")
        }
    }

    @Test("bad settings are errors that name them", arguments: [
        ("[server]\nport = 70000\n", "port"),
        ("[server]\nprot = 1\n", "server.prot"),
        ("[storage]\nsynchronous = \"sometimes\"\n", "synchronous"),
        ("[server\nport = 1\n", "line 1"),
        ("[server]\nratio = 1.5\n", "server.ratio"),
        ("[audit]\ndecisions = \"some\"\n", "audit.decisions"),
        ("[audit]\nsample_rate = 1.5\n", "audit.sample_rate"),
        ("[audit]\nsample_rate = \"nan\"\n", "audit.sample_rate"),
        ("[audit]\nmax_bytes = 1024\n", "audit.max_bytes"),
        ("[audit]\nretention_days = 0\n", "audit.retention_days"),
        ("port 1\n", "line 1"),
    ])
    func invalid(text: String, mention: String) {
        #expect {
            try SettingsLoader.load(configText: text, environment: [:], flags: [:])
        } throws: { error in
            (error as? PortcullisError)?.message.contains(mention) == true
        }
    }
}
