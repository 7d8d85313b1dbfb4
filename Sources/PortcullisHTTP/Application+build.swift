import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import PortcullisCore
import ServiceLifecycle

/// The composition root: opens the store, makes sure an administrator can get in, and assembles the router.
///
/// ```swift
/// let app = try await buildApplication(settings, logger: logger)
/// try await app.runService()
/// ```
/// - Parameter onServerRunning: called with the bound port once the server listens (port 0 picks a free one).
public func buildApplication(
    _ settings: ServerSettings, logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    if case .postgres = settings.storage, settings.adminKey == nil {
        // Each node would otherwise make its own key file: the nodes must share one administrator key.
        throw PortcullisError(.invalidConfig, "storage.backend postgres: set PORTCULLIS_ADMIN_KEY, the same on every node (docs/scaling.md)")
    }
    try DataDirectory.prepare(settings.dataDirectory)
    let monitor = PerformanceMonitor(clock: settings.clock, routeClassNames: RouteClass.allCases.map(\.rawValue))
    var observer: (@Sendable (Int64) -> Void)?
    if settings.monitorEnabled { observer = { @Sendable nanoseconds in monitor.record(.databaseQuery, nanoseconds: nanoseconds) } }
    let queries = QueryRegistry(transactionObserver: observer)
    // Every commit moves the cache's versions and wakes the change streams (neither knows the other): on SQLite as
    // the write commits, on PostgreSQL through the node's change feed.
    let versions = VersionClock()
    let changes = ChangeSignal()
    let serving = try ServingStore.open(settings.storage, queries: queries, versions: versions, changes: changes,
                                        nodeName: "\(settings.host):\(settings.port) \(URL(fileURLWithPath: settings.dataDirectory).lastPathComponent)",
                                        logger: logger)
    let store = serving.store
    var lookupObserver: (@Sendable (Int64) -> Void)?
    if settings.monitorEnabled { lookupObserver = { @Sendable nanoseconds in monitor.record(.cacheOperation, nanoseconds: nanoseconds) } }
    let cache = settings.cacheEnabled
        ? try DecisionCache(configuration: settings.cacheConfiguration, versions: versions,
                            file: .init(path: settings.cachePath, database: try store.databaseIdentity()), clock: settings.clock,
                            lookupObserver: lookupObserver)
        : nil
    let bootstrap = try await WriteAttribution.$current.withValue(WriteAttribution(actor: .system("bootstrap"))) {
        try await AdminKeyBootstrap.run(directory: store, dataDirectory: settings.dataDirectory, environmentKey: settings.adminKey)
    }
    switch bootstrap {
    case .createdFile(let path): logger.notice("created the administrator API key", metadata: ["path": "\(path)"])
    case .fromEnvironment: logger.info("administrator API key taken from PORTCULLIS_ADMIN_KEY")
    case .existing: break
    }
    // On PostgreSQL the media signing keys and the decision log are shared by every node, in the database.
    let keyring = try serving.postgres.map { try SigningKeyring(postgres: $0) } ?? SigningKeyring(path: settings.signingKeysPath)
    let instruments = Instruments(
        monitor: monitor, alerts: AlertCenter(thresholds: settings.alertThresholds, clock: settings.clock, logger: logger),
        sampler: SystemSampler(storageBytes: store.storageBytes), cache: cache, store: store,
        changes: changes)
    let decisionLog = try serving.postgres.map {
        DecisionLog(configuration: settings.decisionLog, postgres: try PostgresDecisionLog(store: $0), clock: settings.clock,
                    revision: { versions.revision })
    } ?? DecisionLog(configuration: settings.decisionLog, path: settings.decisionLogPath, clock: settings.clock, revision: { versions.revision })
    let jwt = try await makeJWTVerifier(settings, logger: logger)
    let router = buildRouter(settings, store: store, cache: cache, keyring: keyring, instruments: instruments, logger: logger,
                             decisionLog: decisionLog, jwt: jwt, gate: serving.gate)
    var services: [any Service] = serving.services
    if let cache { services.append(CacheWriter(cache: cache, logger: logger)) }
    services.append(DecisionLogWriter(log: decisionLog, logger: logger))
    if settings.monitorEnabled { services.append(MonitorService(instruments: instruments)) }
    services.append(ChangeRetention(changes: store, days: settings.audit.retentionDays, clock: settings.clock,
                                    interval: settings.audit.sweepInterval, logger: logger))
    services.append(TimeBoundSweep(store: store, clock: settings.clock, logger: logger))
    var configuration = ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "Portcullis")
    configuration.backlog = settings.backlog
    // Hummingbird's idle timer restarts on each decoded request part, so a header trickled byte by byte never resets it.
    let idleTimeout: TimeAmount? = settings.idleTimeoutSeconds > 0 ? .seconds(Int64(settings.idleTimeoutSeconds)) : nil
    let requestTimeout: TimeAmount? = settings.requestTimeoutSeconds > 0 ? .seconds(Int64(settings.requestTimeoutSeconds)) : nil
    let server = HTTPServerBuilder.portcullisHTTP1(configuration: .init(idleTimeout: idleTimeout), requestTimeout: requestTimeout,
                                                    classifier: settings.routeClassifier, fastPath: router.fastPath)
    var application = Application(
        router: router.router, server: server, configuration: configuration, services: services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
        logger: logger)
    if let feed = serving.feed {
        // A node listens once its change feed is live (normally within milliseconds): before that it can prove nothing
        // current, and every request with credentials would get 503. A database that does not let the feed listen
        // within the bound gets a node that listens anyway and answers 503 + Retry-After until it does.
        application.beforeServerStarts {
            if await !feed.waitUntilLive(timeout: .seconds(10)) {
                logger.warning("the change feed is not live after 10 s; listening anyway, requests get 503 until it is")
            }
        }
    }
    return application
}

/// The JWT verifier of `[auth.jwt]`, its key set loaded; nil when JWTs are not configured. A key file that cannot be
/// read or parsed stops the start (a configuration error); a key URL that does not answer is logged and retried by
/// the first token with an unknown `kid`, so the server starts while the identity provider is down.
func makeJWTVerifier(_ settings: ServerSettings, logger: Logger) async throws -> JWTVerifier? {
    guard let configuration = try settings.jwt.configuration() else { return nil }
    let source: any JWKSSource = settings.jwt.jwksFile.map { JWKSFile(path: $0) } ?? JWKSURL(url: settings.jwt.jwksURL ?? "")
    let verifier = JWTVerifier(configuration: configuration, source: source, clock: settings.clock)
    do {
        let count = try await verifier.loadKeys()
        logger.info("JWT callers accepted", metadata: ["issuer": "\(configuration.issuer)", "keys": "\(count)", "jwks": "\(source.location)"])
        if count == 0 { logger.warning("the JWKS holds no usable RS256, ES256 or EdDSA key", metadata: ["jwks": "\(source.location)"]) }
    } catch where settings.jwt.jwksURL != nil {
        logger.warning("could not fetch the JWKS; retried when a token names an unknown kid",
                       metadata: ["jwks": "\(source.location)", "error": "\(error)"])
    }
    return verifier
}

/// What `buildRouter` assembles: the router, the table of its routes, and the fast path that answers cached checks
/// on the event loop with the same pieces (nil when `server.fast_path` is off).
struct Routing {
    let router: Router<AppRequestContext>
    let routes: RouteTable
    let fastPath: FastPathService?
}

/// The router with every route, the table of those routes, and the fast path.
///
/// Middleware, outermost first, one job each: the client's address (behind a trusted proxy); the request id; the
/// route class; timing and the monitor; the access log; errors rendered in the spec's shape; load shedding before any
/// work; the body limit; the caller's identity; who the request's writes are attributed to. Administrators' routes sit
/// in a group behind `RequireAdminMiddleware`. Every check answer gets its `decision_id` from `decisionLog` (one that
/// keeps nothing unless given).
func buildRouter(
    _ settings: ServerSettings, store: any Store, cache: DecisionCache?, keyring: SigningKeyring, instruments: Instruments, logger: Logger,
    decisionLog: DecisionLog = .discarding(), jwt: JWTVerifier? = nil, gate: (any ConsistencyGate)? = nil
) -> Routing {
    let router = Router(context: AppRequestContext.self)
    let routes = RouteTable()
    let hasher = PasswordHasher(iterations: settings.passwordIterations)
    // With the monitor off nothing is timed or shed (to measure what they cost); the headers stay.
    let monitor = settings.monitorEnabled ? instruments.monitor : nil
    let shedder = settings.monitorEnabled ? LoadShedder(maxInFlight: settings.maxInFlight, openSeconds: settings.overloadOpenSeconds, clock: settings.clock) : nil
    let hashing = PasswordHashingPool(workers: settings.hashingWorkers > 0 ? settings.hashingWorkers : PasswordHashingPool.cores,
                                      queueLimit: settings.hashingQueue)
    var accessLogger = logger
    accessLogger[metadataKey: "log"] = "access"
    if !settings.trustedProxies.isEmpty { router.add(middleware: ClientAddressMiddleware(trusted: settings.trustedProxies)) }
    router.add(middleware: RequestIdMiddleware())
    router.add(middleware: RouteClassMiddleware(classifier: settings.routeClassifier))
    router.add(middleware: MetricsMiddleware(metrics: monitor.map(RequestMetrics.init)))
    let accessLog = settings.monitorEnabled && settings.accessLog != .off ? AccessLog(mode: settings.accessLog, logger: accessLogger) : nil
    if let accessLog { router.add(middleware: AccessLogMiddleware(log: accessLog)) }
    router.add(middleware: ErrorMiddleware(routes: routes))
    if let shedder { router.add(middleware: LoadSheddingMiddleware(shedder: shedder)) }
    router.add(middleware: BodyLimitMiddleware(maxBodyBytes: settings.maxBodyBytes))
    let authenticator = Authenticator(directory: store, cache: cache, clock: settings.clock, jwt: jwt)
    router.add(middleware: AuthenticationMiddleware(authenticator: authenticator, monitor: monitor, gate: gate))
    router.add(middleware: WriteAttributionMiddleware())
    let admin = router.group().add(middleware: RequireAdminMiddleware())

    HealthController().addRoutes(to: router, table: routes)
    OpenAPIController().addRoutes(to: router, table: routes)
    DashboardController().addRoutes(to: router, table: routes)
    ManagementController(directory: store, hasher: hasher, hashing: hashing, decisionLog: decisionLog).addRoutes(to: admin, table: routes)
    APIKeysController(directory: store, clock: settings.clock).addRoutes(to: admin, table: routes)
    DirectorySearchController(directory: store, clock: settings.clock).addRoutes(to: admin, table: routes)
    SigningKeysController(keyring: keyring).addRoutes(to: admin, table: routes)
    ChangesController(store: store, stream: ChangeStream(store: store, signal: instruments.changes, keepAlive: settings.audit.streamKeepAlive))
        .addRoutes(to: admin, table: routes)
    ImportController(directory: store, hasher: hasher, spoolDirectory: settings.dataDirectory, maxImportBytes: settings.maxImportBytes)
        .addRoutes(to: admin, table: routes)
    let engine = AuthorizationEngine(store: store, cache: cache, monitor: monitor, clock: settings.clock)
    AuthorizationController(engine: engine, decisionLog: decisionLog, gate: gate).addRoutes(to: router, table: routes)
    AuditController(decisionLog: decisionLog).addRoutes(to: admin, table: routes)
    let fastPath = settings.fastPath ? cache.map { cache in
        fastPathService(settings, store: store, cache: cache, engine: engine, authenticator: authenticator, gate: gate, shedder: shedder,
                        monitor: monitor, accessLog: accessLog, decisionLog: decisionLog)
    } : nil
    let performance = PerformanceRoutes(instruments: instruments, shedder: shedder, engine: engine, monitorEnabled: settings.monitorEnabled,
                                        fastPath: fastPath?.figures, gate: gate)
    performance.addPublicRoutes(to: router, table: routes)
    performance.addAdminRoutes(to: admin, table: routes)
    MetricsController(instruments: instruments, shedder: shedder, peaks: performance.peaks, fastPath: fastPath?.figures, decisionLog: decisionLog,
                      gate: gate)
        .addRoutes(to: settings.metricsPublic ? router.group() : admin, table: routes)
    let throttle = LoginThrottle(
        perAccount: .init(failures: settings.loginFailuresPerEmail, windowSeconds: Int64(settings.loginEmailWindowSeconds)),
        perAddress: .init(failures: settings.loginFailuresPerAddress, windowSeconds: Int64(settings.loginAddressWindowSeconds)),
        distributedFailures: settings.loginFailuresDistributed)
    let signIn = SignIn(directory: store, hasher: hasher, throttle: throttle, hashing: hashing,
                        tokenLifetimeSeconds: Int64(settings.tokenLifetimeSeconds), clock: settings.clock, decisionLog: decisionLog)
    AuthController(signIn: signIn, directory: store, cache: cache, monitor: monitor, decisionLog: decisionLog, clock: settings.clock)
        .addRoutes(to: router, table: routes)
    let generations = GenerationsController(directory: store, engine: engine)
    generations.addRoutes(to: router, table: routes)
    let signer = MediaURLSigner(keyring: keyring, publicBase: settings.mediaPublicBase, lifetimeSeconds: Int64(settings.mediaURLLifetimeSeconds))
    MediaController(directory: store, engine: engine, signer: signer, generations: generations, clock: settings.clock, gate: gate)
        .addRoutes(to: router, table: routes)
    return Routing(router: router, routes: routes, fastPath: fastPath)
}

/// The fast path over the same pieces as the full path. On several nodes (a `gate`) it must not wait for PostgreSQL on
/// an event loop: its engine and authenticator read only the cache, a check waits for the gate without a task, and an
/// uncached check's facts are read on the event loop's own connection (`PostgresLoopReader`), completing there.
private func fastPathService(
    _ settings: ServerSettings, store: any Store, cache: DecisionCache, engine: AuthorizationEngine, authenticator: Authenticator,
    gate: (any ConsistencyGate)?, shedder: LoadShedder?, monitor: PerformanceMonitor?, accessLog: AccessLog?, decisionLog: DecisionLog
) -> FastPathService {
    var (engine, authenticator) = (engine, authenticator)
    if gate != nil {
        let cacheOnly = CacheOnlyStore(store: store)
        engine = AuthorizationEngine(store: cacheOnly, cache: cache, monitor: monitor, clock: settings.clock)
        authenticator = Authenticator(directory: cacheOnly, cache: cache, clock: settings.clock)
    }
    var service = FastPathService(engine: engine, authenticator: authenticator, classifier: settings.routeClassifier, shedder: shedder,
                                  metrics: monitor.map(RequestMetrics.init), accessLog: accessLog, monitor: monitor,
                                  trustedProxies: settings.trustedProxies, maxBodyBytes: settings.maxBodyBytes, serverName: "Portcullis",
                                  decisionLog: decisionLog)
    service.gate = gate
    if gate != nil { service.reader = (store as? PostgresStore)?.loopReader }
    service.maxStalenessNanoseconds = Int64(settings.cacheMaxStalenessMilliseconds) * 1_000_000
    return service
}
