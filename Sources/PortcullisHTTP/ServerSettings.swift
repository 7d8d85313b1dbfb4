import PortcullisCore

/// Everything `buildApplication` needs, resolved from flags, environment, config file and defaults by the executable.
public struct ServerSettings: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Holds `portcullis.sqlite` (and its WAL), `admin.key`, and import spool files.
    public var dataDirectory = "./data"
    public var synchronous = StoreConfiguration.Synchronous.full
    /// `storage.backend`: `sqlite` (the default) or `postgres` (then `postgres` holds the parsed `storage.postgres_url`).
    public var storageBackend = StorageBackendName.sqlite
    /// `storage.postgres_url` as given; parsed into `postgres` once every source is read.
    public var postgresURL: String?
    /// `storage.postgres_password_file` as given; read into `postgres` when the backend is `postgres`.
    public var postgresPasswordFile: String?
    /// `storage.postgres_max_connections`: the size of each of the PostgreSQL backend's two pools (writes and
    /// management reads; decisions), so a node opens at most twice this many connections.
    public var postgresMaxConnections = 8
    /// The PostgreSQL database, when `storage.backend` is `postgres`.
    public var postgres: PostgresConfiguration?
    public var busyTimeoutMilliseconds = 5_000
    /// Request bodies above this are answered 413.
    public var maxBodyBytes = 1 << 20
    /// The NDJSON import streams past `maxBodyBytes` up to this.
    public var maxImportBytes = 2 << 30
    /// `PORTCULLIS_ADMIN_KEY`: registered as an admin key instead of writing `admin.key`.
    public var adminKey: String?
    /// PBKDF2 iterations for new password hashes.
    public var passwordIterations = 600_000
    /// How long a sign-in token works.
    public var tokenLifetimeSeconds = 43_200
    /// JWT callers (`[auth.jwt]`): off unless issuer, audience and a key set are configured.
    public var jwt = JWTSettings()
    /// Failed sign-ins allowed per account per window (an address that failed for an account is refused past it),
    /// and per client address per window (SPEC 8.1).
    public var loginFailuresPerEmail = 5
    public var loginEmailWindowSeconds = 900
    public var loginFailuresPerAddress = 20
    public var loginAddressWindowSeconds = 60
    /// Failed sign-ins per account from all addresses together past which every address is refused (same window).
    public var loginFailuresDistributed = 100
    /// Password KDF runs at once (0: one per core) and runs allowed to wait; beyond both, sign-ins get 503.
    public var hashingWorkers = 0
    public var hashingQueue = 16
    /// Peers whose `X-Forwarded-For` is believed (CIDR blocks, e.g. the reverse proxy's 127.0.0.1/32).
    public var trustedProxies: [AddressRange] = []
    /// A request's head must arrive within this many seconds, and its body within the same time or, for bodies over
    /// 1 MiB, at 64 KiB/s on average; otherwise the connection is closed (408 when the head had arrived). 0 disables it.
    public var requestTimeoutSeconds = 30
    /// Answer cached `authz/check` and `check-batch` requests on the event loop (`FastPathHandler`); off sends every
    /// request through Hummingbird (to compare the two, or to rule the fast path out).
    public var fastPath = true
    /// Prefix of signed media URLs (e.g. `https://media.example.com`); empty gives `/media/...` paths.
    public var mediaPublicBase = ""
    /// How long a signed media URL is valid.
    public var mediaURLLifetimeSeconds = 300
    /// The decision cache (SPEC section 3). Disabling it is for measurement: every decision is then evaluated.
    public var cacheEnabled = true
    public var cacheL1BudgetBytes = 300 * 1024 * 1024
    public var cacheL1TTLSeconds = 300
    public var cacheL2TTLSeconds = 900
    public var cacheL3TTLSeconds = 3600
    /// How far a `consistency: "minimize_latency"` check may lag the newest writes of other nodes (SPEC 8.4).
    public var cacheMaxStalenessMilliseconds = 1000
    /// Pending connections the kernel queues before accepting (bursts of new clients).
    public var backlog = 4096
    /// A connection that delivers no complete request part (head or body chunk) and is not awaiting a response for this
    /// long is closed: idle keep-alive connections, and slowloris-style clients that trickle a header byte at a time.
    /// 0 disables the timeout.
    public var idleTimeoutSeconds = 60
    /// The performance monitor, its alerts, load shedding and the access log (SPEC section 5). Off only to measure
    /// their cost: the response headers stay.
    public var monitorEnabled = true
    public var alertThresholds = AlertThresholds()
    public var accessLog = AccessLogMode.errors
    /// Requests in progress above which `normal` traffic is shed (and `background` above half of it) and the
    /// overload breaker opens for `overloadOpenSeconds`.
    public var maxInFlight = 2048
    public var overloadOpenSeconds = 30
    /// How the log is written to standard error: `text` lines (the default) or one JSON object a line.
    public var logFormat = LogFormat.text
    /// `GET /metrics` without credentials.
    public var metricsPublic = false
    /// The decision log (`[audit]`: `decisions`, `sample_rate`, `max_bytes`, `retention_days`).
    public var decisionLog = DecisionLogConfiguration()
    public var routeClassifier = RouteClassifier.defaults
    /// The `[audit]` table of the config file (SPEC 8.2).
    public var audit = AuditSettings()
    /// The monitor's clock: which window a sample falls in, alert times, the overload breaker. Tests move it by hand.
    public var clock = WallClock.system

    public init() {}

    public var databasePath: String { dataDirectory + "/portcullis.sqlite" }
    public var signingKeysPath: String { dataDirectory + "/signing-keys" }
    public var cachePath: String { dataDirectory + "/decision-cache.sqlite" }
    /// The decision log's own SQLite file.
    public var decisionLogPath: String { dataDirectory + "/" + DatabaseBackup.decisionLogFileName }

    public var cacheConfiguration: DecisionCache.Configuration {
        var configuration = DecisionCache.Configuration()
        configuration.l1BudgetBytes = cacheL1BudgetBytes
        configuration.l1TTLSeconds = Int64(cacheL1TTLSeconds)
        configuration.l2TTLSeconds = Int64(cacheL2TTLSeconds)
        configuration.l3TTLSeconds = Int64(cacheL3TTLSeconds)
        return configuration
    }

    public var storeConfiguration: StoreConfiguration {
        StoreConfiguration(path: databasePath, synchronous: synchronous, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
    }

    /// The backend to open: SQLite in the data directory, or the configured PostgreSQL database.
    public var storage: StorageSelection {
        if storageBackend == .postgres, let postgres { return .postgres(postgres) }
        return .sqlite(storeConfiguration)
    }
}

/// The values of `storage.backend`.
public enum StorageBackendName: String, Sendable, CaseIterable {
    /// One SQLite file in the data directory (the default).
    case sqlite
    /// A PostgreSQL database (`storage.postgres_url`).
    case postgres
}
