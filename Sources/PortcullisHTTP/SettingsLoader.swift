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
        Option(key: "server.idle_timeout_seconds", environment: "PORTCULLIS_IDLE_TIMEOUT_SECONDS") { settings, value throws(PortcullisError) in
            settings.idleTimeoutSeconds = try integer(value, "idle_timeout_seconds", in: 0...86_400)
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
        Option(key: "storage.backend", environment: "PORTCULLIS_STORAGE_BACKEND") { settings, value throws(PortcullisError) in
            guard let backend = StorageBackendName(rawValue: value.lowercased()) else {
                throw PortcullisError(.invalidConfig, "storage.backend: must be sqlite or postgres, not '\(value)'")
            }
            settings.storageBackend = backend
        },
        Option(key: "storage.postgres_url", environment: "PORTCULLIS_POSTGRES_URL") { settings, value throws(PortcullisError) in
            settings.postgresURL = value
        },
        Option(key: "storage.postgres_password_file", environment: "PORTCULLIS_STORAGE_POSTGRES_PASSWORD_FILE") { settings, value throws(PortcullisError) in
            settings.postgresPasswordFile = value
        },
        Option(key: "storage.postgres_max_connections", environment: "PORTCULLIS_STORAGE_POSTGRES_MAX_CONNECTIONS") { settings, value throws(PortcullisError) in
            settings.postgresMaxConnections = try integer(value, "postgres_max_connections", in: 1...1000)
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
        Option(key: "auth.login_failures_distributed", environment: "PORTCULLIS_AUTH_LOGIN_FAILURES_DISTRIBUTED") { settings, value throws(PortcullisError) in
            settings.loginFailuresDistributed = try integer(value, "login_failures_distributed", in: 1...100_000_000)
        },
        Option(key: "auth.hashing_workers", environment: "PORTCULLIS_AUTH_HASHING_WORKERS") { settings, value throws(PortcullisError) in
            settings.hashingWorkers = try integer(value, "hashing_workers", in: 0...1024)
        },
        Option(key: "auth.hashing_queue", environment: "PORTCULLIS_AUTH_HASHING_QUEUE") { settings, value throws(PortcullisError) in
            settings.hashingQueue = try integer(value, "hashing_queue", in: 0...100_000)
        },
        Option(key: "server.trusted_proxies", environment: "PORTCULLIS_SERVER_TRUSTED_PROXIES") { settings, value throws(PortcullisError) in
            settings.trustedProxies = try value.split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }.map { text throws(PortcullisError) in
                guard let range = AddressRange(text) else {
                    throw PortcullisError.invalidField("trusted_proxies", "'\(text)' is not an IPv4 or IPv6 address or CIDR block")
                }
                return range
            }
        },
        Option(key: "server.fast_path", environment: "PORTCULLIS_SERVER_FAST_PATH") { settings, value throws(PortcullisError) in
            settings.fastPath = try boolean(value, "fast_path")
        },
        Option(key: "server.request_timeout_seconds", environment: "PORTCULLIS_SERVER_REQUEST_TIMEOUT_SECONDS") { settings, value throws(PortcullisError) in
            settings.requestTimeoutSeconds = try integer(value, "request_timeout_seconds", in: 0...86_400)
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
        Option(key: "cache.max_staleness_ms", environment: "PORTCULLIS_CACHE_MAX_STALENESS_MS") { settings, value throws(PortcullisError) in
            settings.cacheMaxStalenessMilliseconds = try integer(value, "max_staleness_ms", in: 0...60_000)
        },
        Option(key: "server.max_in_flight", environment: "PORTCULLIS_MAX_IN_FLIGHT") { settings, value throws(PortcullisError) in
            settings.maxInFlight = try integer(value, "max_in_flight", in: 1...1_000_000)
        },
        Option(key: "server.overload_open_seconds", environment: "PORTCULLIS_OVERLOAD_OPEN_SECONDS") { settings, value throws(PortcullisError) in
            settings.overloadOpenSeconds = try integer(value, "overload_open_seconds", in: 1...3600)
        },
        Option(key: "monitor.enabled", environment: "PORTCULLIS_MONITOR_ENABLED") { settings, value throws(PortcullisError) in
            settings.monitorEnabled = try boolean(value, "monitor.enabled")
        },
        Option(key: "monitor.access_log", environment: "PORTCULLIS_ACCESS_LOG") { settings, value throws(PortcullisError) in
            guard let mode = AccessLogMode(rawValue: value) else { throw PortcullisError.invalidField("access_log", "must be off, errors or all") }
            settings.accessLog = mode
        },
        Option(key: "log.format", environment: "PORTCULLIS_LOG_FORMAT") { settings, value throws(PortcullisError) in
            guard let format = LogFormat(rawValue: value.lowercased()) else {
                throw PortcullisError(.invalidConfig, "log.format: must be text or json, not '\(value)'")
            }
            settings.logFormat = format
        },
        Option(key: "metrics.public", environment: "PORTCULLIS_METRICS_PUBLIC") { settings, value throws(PortcullisError) in
            settings.metricsPublic = try boolean(value, "metrics.public")
        },
        Option(key: "alerts.authorization_p99_critical_ms", environment: "PORTCULLIS_ALERT_AUTHORIZATION_P99_CRITICAL_MS") { settings, value throws(PortcullisError) in
            settings.alertThresholds.authorizationP99CriticalMilliseconds = Double(try integer(value, "authorization_p99_critical_ms", in: 1...600_000))
        },
        Option(key: "alerts.authorization_p99_warning_ms", environment: "PORTCULLIS_ALERT_AUTHORIZATION_P99_WARNING_MS") { settings, value throws(PortcullisError) in
            settings.alertThresholds.authorizationP99WarningMilliseconds = Double(try integer(value, "authorization_p99_warning_ms", in: 1...600_000))
        },
        Option(key: "alerts.sustain_seconds", environment: "PORTCULLIS_ALERT_SUSTAIN_SECONDS") { settings, value throws(PortcullisError) in
            settings.alertThresholds.sustainSeconds = try integer(value, "sustain_seconds", in: 30...300)
        },
        Option(key: "alerts.cache_hit_rate_percent", environment: "PORTCULLIS_ALERT_CACHE_HIT_RATE_PERCENT") { settings, value throws(PortcullisError) in
            settings.alertThresholds.cacheHitRatePercent = Double(try integer(value, "cache_hit_rate_percent", in: 0...100))
        },
        Option(key: "alerts.cpu_percent", environment: "PORTCULLIS_ALERT_CPU_PERCENT") { settings, value throws(PortcullisError) in
            settings.alertThresholds.cpuPercent = Double(try integer(value, "cpu_percent", in: 1...100))
        },
        Option(key: "alerts.memory_percent", environment: "PORTCULLIS_ALERT_MEMORY_PERCENT") { settings, value throws(PortcullisError) in
            settings.alertThresholds.memoryPercent = Double(try integer(value, "memory_percent", in: 1...100))
        },
    ] + auditOptions + jwtOptions + RouteClassifier.order.map { routeClass in
        Option(key: "routes.\(routeClass.rawValue)", environment: "PORTCULLIS_ROUTES_\(routeClass.rawValue.uppercased())") { settings, value throws(PortcullisError) in
            let patterns = value.split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
            guard patterns.allSatisfy({ $0.hasPrefix("/") }) else {
                throw PortcullisError.invalidField("routes.\(routeClass.rawValue)", "must be comma-separated path patterns starting with /")
            }
            settings.routeClassifier = settings.routeClassifier.replacing(routeClass, with: patterns)
        }
    }

    /// Builds settings from a config file's text (if any), the environment, and flags given as `section.key` → value.
    public static func load(configText: String?, environment: [String: String], flags: [String: String]) throws(PortcullisError) -> ServerSettings {
        var settings = ServerSettings()
        let file = try configText.map { text throws(PortcullisError) in try ConfigFile.parse(text) } ?? [:]
        let known = Set(options.map(\.key))
        if let unknown = file.keys.sorted().first(where: { !known.contains($0) }) {
            throw PortcullisError(.invalidConfig, "unknown config key '\(unknown)'; known: \(known.sorted().joined(separator: ", "))")
        }
        for option in options {
            if let value = flags[option.key] ?? environment[option.environment] ?? file[option.key] {
                try option.apply(&settings, value)
            }
        }
        settings.adminKey = environment["PORTCULLIS_ADMIN_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        try resolveStorage(&settings)
        return settings
    }

    /// Parses the PostgreSQL URL once every source has been read: `storage.backend = "postgres"` requires a valid
    /// `storage.postgres_url` (and reads `storage.postgres_password_file`); a URL given beside SQLite is still parsed, so
    /// a typo shows before the switch, but no password file is read for a backend that does not use it.
    static func resolveStorage(_ settings: inout ServerSettings) throws(PortcullisError) {
        guard let url = settings.postgresURL else {
            if settings.storageBackend == .postgres {
                throw PortcullisError(.invalidConfig, "storage.postgres_url: required when storage.backend is postgres (PORTCULLIS_POSTGRES_URL)")
            }
            return
        }
        let passwordFile = settings.storageBackend == .postgres ? settings.postgresPasswordFile : nil
        var postgres = try PostgresConfiguration(url: url, passwordFile: passwordFile)
        postgres.maximumConnections = settings.postgresMaxConnections
        postgres.readerCapacity = settings.postgresMaxConnections
        settings.postgres = postgres
    }

    static func boolean(_ value: String, _ name: String) throws(PortcullisError) -> Bool {
        switch value.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw PortcullisError.invalidField(name, "must be true or false")
        }
    }

    static func integer(_ value: String, _ name: String, in range: ClosedRange<Int>) throws(PortcullisError) -> Int {
        guard let number = Int(value), range.contains(number) else {
            throw PortcullisError.invalidField(name, "must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }
}
