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

    /// The whole HTTP/1.1 response to a collected request, or nil to take the full path. `started` is when its head
    /// arrived; `credential` is the connection's last digested credential, reused while the same one comes back;
    /// `scratch` is the connection's buffer for the JSON body, cleared and reused by every answer.
    func answer(_ request: FastPathRequest, body: ByteBuffer, peer: String, started: Int64, credential: inout BearerDigest?,
                scratch: inout ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer? {
        let (path, routeClass) = (request.path, request.routeClass)
        let verdict = shedder?.admit(routeClass)
        defer { if verdict != nil { shedder?.finish(probe: verdict == .probe) } }
        scratch.clear()
        if path == Self.healthPath {
            scratch.writeStaticString(Self.healthy)
        } else {
            guard decisions(request, body: body, credential: &credential, into: &scratch) else { return nil }
        }

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
        return response
    }

    /// Writes the JSON of a check or a batch into `json`; false (nothing written) to take the full path.
    private func decisions(_ request: FastPathRequest, body: ByteBuffer, credential: inout BearerDigest?, into json: inout ByteBuffer) -> Bool {
        guard let bearer = Self.bearer(request.authorization) else { return false }
        let authenticationStart = monotonicNanoseconds()
        // The connection's credential is digested again only when other bytes come (compared without a new String).
        if credential.map({ Self.sameBytes($0.bearer, bearer) }) != true { credential = BearerDigest(String(bearer)) }
        guard credential != nil, let identity = try? authenticator.identity(&credential!) else { return false }
        monitor?.record(.authentication, nanoseconds: monotonicNanoseconds() - authenticationStart)
        guard var fields = Self.fields(body) else { return false }
        return request.path == Self.checkPath ? check(&fields, identity, into: &json) : batch(&fields, identity, into: &json)
    }

    private func check(_ fields: inout FieldReader, _ identity: Identity, into json: inout ByteBuffer) -> Bool {
        // A what-if check (`as_of`) takes the full path, which says why it is refused to a non-administrator.
        guard let request = try? CheckRequest(&fields), request.asOf == nil,
              (try? AuthorizationController.authorize(identity, toAskAbout: request.userId)) != nil
        else {
            return false
        }
        let start = monotonicNanoseconds()
        guard let decision = try? identity.mayCheckAnyUser ? engine.check(request) : engine.checkAsSubject(request) else { return false }
        let took = (monotonicNanoseconds() - start) / 1000
        DecisionJSON.write(decision, id: decisionLog.record(request, decision, caller: DecisionCaller(identity)), tookMicroseconds: took,
                           for: request, into: &json)
        return true
    }

    private func batch(_ fields: inout FieldReader, _ identity: Identity, into json: inout ByteBuffer) -> Bool {
        guard let checks = try? AuthorizationController.batch(&fields), !checks.isEmpty,
              checks.allSatisfy({ (try? AuthorizationController.authorize(identity, toAsk: $0)) != nil })
        else { return false }
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
