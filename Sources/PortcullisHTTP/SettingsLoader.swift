import PortcullisCore

/// Resolves `ServerSettings` with the precedence of SPEC section 7: flags > `PORTCULLIS_*` environment > config file > defaults.
public enum SettingsLoader {
    /// One setting: its key in the config file, its environment variable, and how to apply a textual value.
    struct Option: Sendable {
        var key: String
        var environment: String
        var apply: @Sendable (inout ServerSettings, String) throws(PortcullisError) -> Void
    }

    static let options: [Option] = [
        Option(key: "server.host", environment: "PORTCULLIS_HOST") { settings, value throws(PortcullisError) in settings.host = value },
        Option(key: "server.port", environment: "PORTCULLIS_PORT") { settings, value throws(PortcullisError) in
            settings.port = try integer(value, "port", in: 0...65535)
        },
        Option(key: "server.backlog", environment: "PORTCULLIS_BACKLOG") { settings, value throws(PortcullisError) in
            settings.backlog = try integer(value, "backlog", in: 1...65535)
        },
        Option(key: "server.max_body_bytes", environment: "PORTCULLIS_MAX_BODY_BYTES") { settings, value throws(PortcullisError) in
            settings.maxBodyBytes = try integer(value, "max_body_bytes", in: 1024...(1 << 30))
        },
        Option(key: "server.max_import_bytes", environment: "PORTCULLIS_MAX_IMPORT_BYTES") { settings, value throws(PortcullisError) in
            settings.maxImportBytes = try integer(value, "max_import_bytes", in: 1024...(1 << 40))
        },
        Option(key: "storage.data_dir", environment: "PORTCULLIS_DATA_DIR") { settings, value throws(PortcullisError) in
            settings.dataDirectory = value
        },
        Option(key: "storage.synchronous", environment: "PORTCULLIS_SYNCHRONOUS") { settings, value throws(PortcullisError) in
            guard let mode = StoreConfiguration.Synchronous(rawValue: value.uppercased()) else {
                throw PortcullisError.invalidField("synchronous", "must be full or normal")
            }
            settings.synchronous = mode
        },
        Option(key: "storage.busy_timeout_ms", environment: "PORTCULLIS_BUSY_TIMEOUT_MS") { settings, value throws(PortcullisError) in
            settings.busyTimeoutMilliseconds = try integer(value, "busy_timeout_ms", in: 0...600_000)
        },
        Option(key: "auth.password_iterations", environment: "PORTCULLIS_PASSWORD_ITERATIONS") { settings, value throws(PortcullisError) in
            settings.passwordIterations = try integer(value, "password_iterations", in: 100_000...10_000_000)
        },
        Option(key: "auth.token_lifetime_seconds", environment: "PORTCULLIS_TOKEN_LIFETIME_SECONDS") { settings, value throws(PortcullisError) in
            settings.tokenLifetimeSeconds = try integer(value, "token_lifetime_seconds", in: 60...31_536_000)
        },
        Option(key: "auth.login_failures_per_email", environment: "PORTCULLIS_LOGIN_FAILURES_PER_EMAIL") { settings, value throws(PortcullisError) in
            settings.loginFailuresPerEmail = try integer(value, "login_failures_per_email", in: 1...1_000_000)
        },
        Option(key: "auth.login_email_window_seconds", environment: "PORTCULLIS_LOGIN_EMAIL_WINDOW_SECONDS") { settings, value throws(PortcullisError) in
            settings.loginEmailWindowSeconds = try integer(value, "login_email_window_seconds", in: 1...86_400)
        },
        Option(key: "auth.login_failures_per_address", environment: "PORTCULLIS_LOGIN_FAILURES_PER_ADDRESS") { settings, value throws(PortcullisError) in
            settings.loginFailuresPerAddress = try integer(value, "login_failures_per_address", in: 1...1_000_000)
        },
        Option(key: "auth.login_address_window_seconds", environment: "PORTCULLIS_LOGIN_ADDRESS_WINDOW_SECONDS") { settings, value throws(PortcullisError) in
            settings.loginAddressWindowSeconds = try integer(value, "login_address_window_seconds", in: 1...86_400)
        },
        Option(key: "media.public_base", environment: "PORTCULLIS_MEDIA_PUBLIC_BASE") { settings, value throws(PortcullisError) in
            settings.mediaPublicBase = value
        },
        Option(key: "media.url_lifetime_seconds", environment: "PORTCULLIS_MEDIA_URL_LIFETIME_SECONDS") { settings, value throws(PortcullisError) in
            settings.mediaURLLifetimeSeconds = try integer(value, "url_lifetime_seconds", in: 1...604_800)
        },
        Option(key: "cache.enabled", environment: "PORTCULLIS_CACHE_ENABLED") { settings, value throws(PortcullisError) in
            settings.cacheEnabled = try boolean(value, "cache.enabled")
        },
        Option(key: "cache.l1_budget_mb", environment: "PORTCULLIS_CACHE_L1_BUDGET_MB") { settings, value throws(PortcullisError) in
            settings.cacheL1BudgetBytes = try integer(value, "l1_budget_mb", in: 1...1_000_000) * 1024 * 1024
        },
        Option(key: "cache.l1_ttl_seconds", environment: "PORTCULLIS_CACHE_L1_TTL_SECONDS") { settings, value throws(PortcullisError) in
            settings.cacheL1TTLSeconds = try integer(value, "l1_ttl_seconds", in: 1...86_400)
        },
        Option(key: "cache.l2_ttl_seconds", environment: "PORTCULLIS_CACHE_L2_TTL_SECONDS") { settings, value throws(PortcullisError) in
            settings.cacheL2TTLSeconds = try integer(value, "l2_ttl_seconds", in: 1...604_800)
        },
        Option(key: "cache.l3_ttl_seconds", environment: "PORTCULLIS_CACHE_L3_TTL_SECONDS") { settings, value throws(PortcullisError) in
            settings.cacheL3TTLSeconds = try integer(value, "l3_ttl_seconds", in: 1...2_592_000)
        },
    ]

    /// Builds settings from a config file's text (if any), the environment, and flags given as `section.key` → value.
    public static func load(configText: String?, environment: [String: String], flags: [String: String]) throws(PortcullisError) -> ServerSettings {
        var settings = ServerSettings()
        let file = try configText.map { text throws(PortcullisError) in try ConfigFile.parse(text) } ?? [:]
        let known = Set(options.map(\.key))
        if let unknown = file.keys.sorted().first(where: { !known.contains($0) }) {
            throw PortcullisError(.invalid, code: "invalid_config", "unknown config key '\(unknown)'; known: \(known.sorted().joined(separator: ", "))")
        }
        for option in options {
            if let value = flags[option.key] ?? environment[option.environment] ?? file[option.key] {
                try option.apply(&settings, value)
            }
        }
        settings.adminKey = environment["PORTCULLIS_ADMIN_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        return settings
    }

    private static func boolean(_ value: String, _ name: String) throws(PortcullisError) -> Bool {
        switch value.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw PortcullisError.invalidField(name, "must be true or false")
        }
    }

    private static func integer(_ value: String, _ name: String, in range: ClosedRange<Int>) throws(PortcullisError) -> Int {
        guard let number = Int(value), range.contains(number) else {
            throw PortcullisError.invalidField(name, "must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }
}
