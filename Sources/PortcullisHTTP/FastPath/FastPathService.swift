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
    let figures = FastPathFigures()

    static let checkPath = "/api/v1/authz/check"
    static let batchPath = "/api/v1/authz/check-batch"
    static let healthPath = "/api/v1/health"
    /// `HealthController`'s answer.
    static let healthy = #"{"status":"ok"}"#

    /// Whether a request head may be answered here (its body is then collected): a POST to one of the check paths with
    /// a body within the limit, or a GET of health.
    func accepts(_ request: FastPathRequest) -> Bool {
        switch request.method {
        case .post: guard request.path == Self.checkPath || request.path == Self.batchPath else { return false }
        case .get: guard request.path == Self.healthPath else { return false }
        default: return false
        }
        if let length = request.contentLength, Int(length).map({ $0 > maxBodyBytes }) ?? true { return false }
        // Only a class that is never shed: a shed answer (503) comes from the full path.
        switch classifier.classify(request.path) {
        case .ultraFast, .criticalAuth, .fast: return true
        case .normal, .background: return false
        }
    }

    /// The whole HTTP/1.1 response to a collected request, or nil to take the full path. `started` is when its head
    /// arrived; `credential` is the connection's last digested credential, reused while the same one comes back.
    func answer(_ request: FastPathRequest, body: ByteBuffer, peer: String, started: Int64, credential: inout BearerDigest?,
                allocator: ByteBufferAllocator) -> ByteBuffer? {
        let path = request.path
        let routeClass = classifier.classify(path)
        let verdict = shedder?.admit(routeClass)
        defer { if verdict != nil { shedder?.finish(probe: verdict == .probe) } }
        guard let json = path == Self.healthPath ? Self.healthy : decisions(request, body: body, credential: &credential) else { return nil }

        let requestId = RequestIdentifier.id(for: request.requestId)
        let elapsed = monotonicNanoseconds() - started
        let response = FastPathResponse.ok(json: json, requestId: requestId, routeClass: routeClass,
                                           responseTime: ResponseTime.format(nanoseconds: elapsed), server: serverName, allocator: allocator)
        metrics?.record(method: request.method, path: path, routeClass: routeClass, status: 200, nanoseconds: elapsed)
        if let accessLog, accessLog.isOn {
            let client = trustedProxies.isEmpty ? peer
                : ClientAddress.resolve(peer: peer, forwardedFor: request.forwardedFor, trusted: trustedProxies)
            accessLog.record(method: request.method, path: path, status: 200, routeClass: routeClass, nanoseconds: elapsed, requestId: requestId,
                             client: client)
        }
        return response
    }

    /// The JSON of a check or a batch, or nil to take the full path.
    private func decisions(_ request: FastPathRequest, body: ByteBuffer, credential: inout BearerDigest?) -> String? {
        guard let bearer = Self.bearer(request.authorization) else { return nil }
        let authenticationStart = monotonicNanoseconds()
        if credential?.bearer != bearer { credential = BearerDigest(bearer) }
        guard let digest = credential, let identity = try? authenticator.identity(digest) else { return nil }
        monitor?.record(.authentication, nanoseconds: monotonicNanoseconds() - authenticationStart)
        guard var fields = Self.fields(body) else { return nil }
        return request.path == Self.checkPath ? check(&fields, identity) : batch(&fields, identity)
    }

    private func check(_ fields: inout FieldReader, _ identity: Identity) -> String? {
        // A what-if check (`as_of`) takes the full path, which says why it is refused to a non-administrator.
        guard let request = try? CheckRequest(&fields), request.asOf == nil,
              (try? AuthorizationController.authorize(identity, toAskAbout: request.userId)) != nil
        else {
            return nil
        }
        let start = monotonicNanoseconds()
        guard let decision = try? identity.mayCheckAnyUser ? engine.check(request) : engine.checkAsSubject(request) else { return nil }
        let took = (monotonicNanoseconds() - start) / 1000
        return DecisionJSON.encode(decision, id: decisionLog.record(request, decision, caller: DecisionCaller(identity)), tookMicroseconds: took,
                                   for: request)
    }

    private func batch(_ fields: inout FieldReader, _ identity: Identity) -> String? {
        guard let checks = try? AuthorizationController.batch(&fields), !checks.isEmpty,
              checks.allSatisfy({ (try? AuthorizationController.authorize(identity, toAsk: $0)) != nil })
        else { return nil }
        let start = monotonicNanoseconds()
        guard let decisions = try? identity.mayCheckAnyUser ? engine.check(batch: checks) : engine.checkAsSubject(batch: checks) else { return nil }
        let took = (monotonicNanoseconds() - start) / 1000
        let ids = decisionLog.record(batch: checks, decisions, caller: DecisionCaller(identity))
        return #"{"results":["# + checks.indices.map { DecisionJSON.encode(decisions[$0], id: ids[$0], tookMicroseconds: took, for: checks[$0]) }
            .joined(separator: ",") + "]}"
    }

    /// The credential of `Authorization: Bearer <credential>` (the scheme in any case), as `AuthenticationMiddleware` reads it.
    static func bearer(_ header: String?) -> String? {
        guard let header, let space = header.firstIndex(of: " "), header[..<space].lowercased() == "bearer" else { return nil }
        return String(header[header.index(after: space)...])
    }

    static func fields(_ body: ByteBuffer) -> FieldReader? {
        if let flat = body.withUnsafeReadableBytes(FlatJSONObject.fields) { return FieldReader(distinctFields: flat) }
        let parsed = try? body.withUnsafeReadableBytes { raw throws(JSONParser.Failure) in try JSONParser.parse(raw.bindMemory(to: UInt8.self)) }
        return parsed.flatMap { try? FieldReader($0) }
    }
}
