import Foundation
import HTTPTypes
import NIOCore
import PortcullisCore

/// Answers `POST /api/v1/authz/check` and `check-batch`, and `GET /api/v1/health`, on the event loop: parse,
/// authenticate, decide (from the cache, or on a miss from one snapshot through the reader pool: a few microseconds of
/// indexed reads from a memory-mapped file, less than handing the request to a task would cost), encode. Whatever it
/// cannot answer with a 200 — no or an unknown credential, a JWT (verified only on the full path, which may fetch its
/// key set), invalid input, a caller asking about another user, an error — it answers nil, and the request takes the
/// full path (Hummingbird, its middleware and controllers), which produces every error. Health is here too because
/// load balancers ask it on every connection they keep: a connection that only asks checks and health never enters
/// Hummingbird's request loop, which keeps idle connections small (docs/benchmarks.md).
///
/// It holds the contract of the full path by calling the same pieces: `Authenticator.identity`,
/// `AuthorizationEngine.check` and `checkAsSubject`, `AuthorizationController`'s field rules and authorization of the caller,
/// `DecisionJSON`, `RequestIdentifier`, `RouteClassifier`, `LoadShedder`, `RequestMetrics` and `AccessLog`. So the JSON,
/// the headers, the monitor's counts and the access log are the same whichever path answered, and a request is
/// counted once, by the path that answered it.
///
/// On several nodes (a `gate`), the engine and the authenticator it holds read only the cache (`CacheOnlyStore`). A
/// check is answered once the node is current for it (`mayAnswer`); when it is not yet, the handler waits for the gate
/// without a task and asks again with `gatePassed`. A single check the cache cannot answer (a miss, or one never
/// cached, such as `explain`), from a caller that may ask about any user, is read by `reader` on the event loop and
/// finished with `answer(_:read:facts:peer:started:scratch:allocator:)`; an uncached one does not wait for the gate,
/// its snapshot proves its credential current instead (docs/caching.md, "Several nodes", step 8). Batches and user
/// tokens' misses are the full path's.
struct FastPathService: Sendable {
    let engine: AuthorizationEngine
    let authenticator: Authenticator
    let classifier: RouteClassifier
    let shedder: LoadShedder?
    let metrics: RequestMetrics?
    let accessLog: AccessLog?
    let monitor: PerformanceMonitor?
    let trustedProxies: [AddressRange]
    let maxBodyBytes: Int
    let serverName: String
    /// Gives every answer its `decision_id` and logs those its mode selects, as `AuthorizationController` does.
    let decisionLog: DecisionLog
    /// Several nodes: what a check waits for before the cache answers it (nil on one node, where nothing is awaited).
    var gate: (any ConsistencyGate)? = nil
    /// How far a `minimize_latency` check may lag other nodes' writes (`cache.max_staleness_ms`), in nanoseconds.
    var maxStalenessNanoseconds: Int64 = 1_000_000_000
    /// Several nodes: reads a check's facts on the event loop that asks (PostgreSQL's `PostgresLoopReader`), so an
    /// uncached check is answered here too; nil passes every uncached check on to the full path.
    var reader: (any LoopFactsReader)? = nil
    let figures = FastPathFigures()

    /// What the service made of a collected request.
    enum Outcome {
        /// The whole response, to write.
        case answered(ByteBuffer)
        /// The full path's to answer.
        case passOn
        /// Ask again with `gatePassed` once `gate.whenCurrent(since:)` succeeds (several nodes).
        case awaitGate
        /// Read the check's facts with `reader`, then finish it with `answer(_:read:facts:peer:started:scratch:allocator:)`.
        case read(PendingRead)
    }

    /// An uncached check waiting for its facts (several nodes).
    struct PendingRead: Sendable {
        let check: AuthorizationEngine.PendingCheck
        let identity: Identity
        /// For a request the gate has not proven current: the cache's applied revision before the caller's credential
        /// was resolved from it. The answer stands only if the facts' snapshot is no newer (see `answer(_:read:…)`).
        let appliedBefore: Int64?
    }

    static let checkPath = "/api/v1/authz/check"
    static let batchPath = "/api/v1/authz/check-batch"
    static let healthPath = "/api/v1/health"
    /// `HealthController`'s answer.
    static let healthy: StaticString = #"{"status":"ok"}"#

    /// Whether a request head may be answered here (its body is then collected): a POST to one of the check paths with
    /// a body within the limit, or a GET of health. If so, its route class is set, once for the request.
    func accepts(_ request: inout FastPathRequest) -> Bool {
        switch request.method {
        case .post: guard request.path == Self.checkPath || request.path == Self.batchPath else { return false }
        case .get: guard request.path == Self.healthPath else { return false }
        default: return false
        }
        if let length = request.contentLength, Int(length).map({ $0 > maxBodyBytes }) ?? true { return false }
        // Only a class that is never shed: a shed answer (503) comes from the full path.
        let routeClass = classifier.classify(request.path)
        switch routeClass {
        case .ultraFast, .criticalAuth, .fast:
            request.routeClass = routeClass
            return true
        case .normal, .background: return false
        }
    }

    /// The whole HTTP/1.1 response to a collected request, or what else to do with it. `started` is when its head
    /// arrived; `gatePassed` says the gate found the node current since then; `credential` is the connection's last
    /// digested credential, reused while the same one comes back; `scratch` is the connection's buffer for the JSON
    /// body, cleared and reused by every answer.
    func answer(_ request: FastPathRequest, body: ByteBuffer, peer: String, started: Int64, gatePassed: Bool = false,
                credential: inout BearerDigest?, scratch: inout ByteBuffer, allocator: ByteBufferAllocator) -> Outcome {
        let (path, routeClass) = (request.path, request.routeClass)
        let verdict = shedder?.admit(routeClass)
        defer { if verdict != nil { shedder?.finish(probe: verdict == .probe) } }
        scratch.clear()
        if path == Self.healthPath {
            scratch.writeStaticString(Self.healthy)
        } else {
            switch decisions(request, body: body, since: gatePassed ? nil : started, credential: &credential, into: &scratch) {
            case .written: break
            case .passOn: return .passOn
            case .awaitGate: return .awaitGate
            case .read(let pending): return .read(pending)
            }
        }
        return respond(request, peer: peer, started: started, body: scratch, allocator: allocator)
    }

    /// The answer to a check whose facts `reader` read. A request the gate had not proven current is answered only if
    /// the cache had applied the facts' revision before the caller's credential was resolved: that snapshot began after
    /// the request arrived, so every write that had returned anywhere before then is in it, and was then in the cache
    /// the credential came from. Otherwise (a write landed meanwhile, or this node lags), and on any error, the full
    /// path answers it: the gate, then its own read.
    func answer(_ request: FastPathRequest, read: PendingRead, facts: Result<DecisionFacts, any Error>, peer: String, started: Int64,
                scratch: inout ByteBuffer, allocator: ByteBufferAllocator) -> Outcome {
        guard case .success(let facts) = facts, read.appliedBefore.map({ facts.revision <= $0 }) ?? true,
              let decision = try? engine.finish(read.check, facts: facts)
        else { return .passOn }
        let verdict = shedder?.admit(request.routeClass)
        defer { if verdict != nil { shedder?.finish(probe: verdict == .probe) } }
        scratch.clear()
        write(decision, for: read.check.request, read.identity, tookMicroseconds: (monotonicNanoseconds() - read.check.startedAt) / 1000,
              into: &scratch)
        return respond(request, peer: peer, started: started, body: scratch, allocator: allocator)
    }

    /// The 200 response carrying `body`, counted and logged.
    private func respond(_ request: FastPathRequest, peer: String, started: Int64, body scratch: ByteBuffer, allocator: ByteBufferAllocator)
        -> Outcome {
        let (path, routeClass) = (request.path, request.routeClass)
        let requestId = RequestIdentifier.id(for: request.requestId)
        let elapsed = monotonicNanoseconds() - started
        let response = FastPathResponse.ok(body: scratch, requestId: requestId, routeClass: routeClass, nanoseconds: elapsed, server: serverName,
                                           allocator: allocator)
        metrics?.record(method: request.method, path: path, routeClass: routeClass, status: 200, nanoseconds: elapsed)
        if let accessLog, accessLog.isOn {
            let client = trustedProxies.isEmpty ? peer
                : ClientAddress.resolve(peer: peer, forwardedFor: request.forwardedFor, trusted: trustedProxies)
            accessLog.record(method: request.method, path: path, status: 200, routeClass: routeClass, nanoseconds: elapsed, requestId: requestId,
                             client: client)
        }
        return .answered(response)
    }

    private enum Step { case written, passOn, awaitGate, read(PendingRead) }

    /// Writes the JSON of a check or a batch into `json`, or says why not. With a gate, `since` is when the request
    /// arrived, until the gate has passed it (then nil).
    private func decisions(_ request: FastPathRequest, body: ByteBuffer, since: Int64?, credential: inout BearerDigest?,
                           into json: inout ByteBuffer) -> Step {
        guard let bearer = Self.bearer(request.authorization), var fields = Self.fields(body) else { return .passOn }
        if request.path == Self.checkPath {
            // A what-if check (`as_of`) takes the full path, which says why it is refused to a non-administrator.
            guard let check = try? CheckRequest(&fields), check.asOf == nil else { return .passOn }
            if !mayBeCached(check) { return uncached(check, bearer, since: since, credential: &credential, into: &json) }
            if let since, !mayAnswer(CollectionOfOne(check.consistency), since: since) { return .awaitGate }
            guard let identity = identity(bearer, &credential) else { return .passOn }
            if reader != nil, identity.mayCheckAnyUser { return begin(check, identity, appliedBefore: nil, into: &json) }
            return self.check(check, identity, into: &json) ? .written : .passOn
        }
        guard let checks = try? AuthorizationController.batch(&fields), !checks.isEmpty, checks.allSatisfy(mayBeCached) else { return .passOn }
        if let since, !mayAnswer(checks.lazy.map(\.consistency), since: since) { return .awaitGate }
        guard let identity = identity(bearer, &credential) else { return .passOn }
        return batch(checks, identity, into: &json) ? .written : .passOn
    }

    /// Whether the answer to `check` may come from the cache: always on one node; on several, not for an explained
    /// check nor one asking for a revision this node has not applied.
    private func mayBeCached(_ check: CheckRequest) -> Bool {
        gate == nil || engine.mayAnswerFromCache(check)
    }

    /// A check no cache may answer, on several nodes: its facts are read on the event loop without waiting for the
    /// gate first, since the snapshot they are read from proves how current the caller's credential was
    /// (`answer(_:read:…)`). Without a reader, it goes to the full path at once, rather than after waiting for the
    /// gate there too.
    private func uncached(_ check: CheckRequest, _ bearer: Substring, since: Int64?, credential: inout BearerDigest?,
                          into json: inout ByteBuffer) -> Step {
        guard reader != nil, let since, let gate, let cache = engine.cache else { return .passOn }
        // In this order: the proof must be read before the credential is resolved.
        let appliedBefore = gate.isCurrent(since: since) ? nil : cache.revision
        guard let identity = identity(bearer, &credential), identity.mayCheckAnyUser else { return .passOn }
        return begin(check, identity, appliedBefore: appliedBefore, into: &json)
    }

    /// The cache's answer to a caller that may ask about any user, written into `json`, or a read of its facts.
    private func begin(_ check: CheckRequest, _ identity: Identity, appliedBefore: Int64?, into json: inout ByteBuffer) -> Step {
        guard (try? AuthorizationController.authorize(identity, toAskAbout: check.userId)) != nil else { return .passOn }
        let start = monotonicNanoseconds()
        guard let step = try? engine.begin(check) else { return .passOn }
        switch step {
        case .decided(let decision):
            write(decision, for: check, identity, tookMicroseconds: (monotonicNanoseconds() - start) / 1000, into: &json)
            return .written
        case .pending(let pending):
            return .read(PendingRead(check: pending, identity: identity, appliedBefore: appliedBefore))
        }
    }

    /// Whether the cache may answer checks of these consistencies now, for a request that arrived at `since`: always
    /// on one node; on several, once the gate has applied every write that returned before `since` — or, when every
    /// check is `minimize_latency`, every write older than `cache.max_staleness_ms`. The caller's credential is
    /// resolved under the same bound as its checks (docs/caching.md, "The gate").
    private func mayAnswer(_ consistencies: some Sequence<Consistency>, since: Int64) -> Bool {
        guard let gate else { return true }
        if consistencies.allSatisfy({ $0 == .minimizeLatency }) { return gate.isCurrent(withinNanoseconds: maxStalenessNanoseconds) }
        return gate.isCurrent(since: since)
    }

    /// The identity of the bearer, digested again only when other bytes come than the connection's last (compared
    /// without a new String); nil for an unknown credential or, on several nodes, one the cache does not hold.
    private func identity(_ bearer: Substring, _ credential: inout BearerDigest?) -> Identity? {
        let authenticationStart = monotonicNanoseconds()
        if credential.map({ Self.sameBytes($0.bearer, bearer) }) != true { credential = BearerDigest(String(bearer)) }
        guard credential != nil, let identity = try? authenticator.identity(&credential!) else { return nil }
        monitor?.record(.authentication, nanoseconds: monotonicNanoseconds() - authenticationStart)
        return identity
    }

    private func check(_ request: CheckRequest, _ identity: Identity, into json: inout ByteBuffer) -> Bool {
        guard (try? AuthorizationController.authorize(identity, toAskAbout: request.userId)) != nil else { return false }
        let start = monotonicNanoseconds()
        guard let decision = try? identity.mayCheckAnyUser ? engine.check(request) : engine.checkAsSubject(request) else { return false }
        write(decision, for: request, identity, tookMicroseconds: (monotonicNanoseconds() - start) / 1000, into: &json)
        return true
    }

    /// A check's answer as JSON, given its `decision_id` by the decision log.
    private func write(_ decision: Decision, for request: CheckRequest, _ identity: Identity, tookMicroseconds: Int64, into json: inout ByteBuffer) {
        DecisionJSON.write(decision, id: decisionLog.record(request, decision, caller: DecisionCaller(identity)), tookMicroseconds: tookMicroseconds,
                           for: request, into: &json)
    }

    private func batch(_ checks: [CheckRequest], _ identity: Identity, into json: inout ByteBuffer) -> Bool {
        guard checks.allSatisfy({ (try? AuthorizationController.authorize(identity, toAsk: $0)) != nil }) else { return false }
        let start = monotonicNanoseconds()
        guard let decisions = try? identity.mayCheckAnyUser ? engine.check(batch: checks) : engine.checkAsSubject(batch: checks) else { return false }
        let took = (monotonicNanoseconds() - start) / 1000
        let ids = decisionLog.record(batch: checks, decisions, caller: DecisionCaller(identity))
        DecisionJSON.writeBatch(decisions, ids: ids, tookMicroseconds: took, for: checks, into: &json)
        return true
    }

    /// The credential of `Authorization: Bearer <credential>` (the scheme in any case), as `AuthenticationMiddleware` reads
    /// it: a slice of the header, so a connection presenting its known credential again makes no `String`.
    static func bearer(_ header: String?) -> Substring? {
        guard var header else { return nil }
        let scheme: StaticString = "bearer"
        let isBearer = header.withUTF8 { bytes in
            bytes.count > scheme.utf8CodeUnitCount && bytes[scheme.utf8CodeUnitCount] == UInt8(ascii: " ")
                && (0..<scheme.utf8CodeUnitCount).allSatisfy { bytes[$0] | 0x20 == scheme.utf8Start[$0] }
        }
        guard isBearer else { return nil }
        return header[header.utf8.index(header.utf8.startIndex, offsetBy: scheme.utf8CodeUnitCount + 1)...]
    }

    /// Whether `known` and `presented` are the same bytes: not merely canonically equivalent text, as `==` would say.
    static func sameBytes(_ known: String, _ presented: Substring) -> Bool {
        var (known, presented) = (known, presented)
        return known.withUTF8 { left in
            presented.withUTF8 { right in
                left.count == right.count && (left.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0)
            }
        }
    }

    static func fields(_ body: ByteBuffer) -> FieldReader? {
        if let flat = body.withUnsafeReadableBytes(FlatJSONObject.fields) { return FieldReader(distinctFields: flat) }
        let parsed = try? body.withUnsafeReadableBytes { raw throws(JSONParser.Failure) in try JSONParser.parse(raw.bindMemory(to: UInt8.self)) }
        return parsed.flatMap { try? FieldReader($0) }
    }
}
