import Foundation
import NIOCore
import NIOHTTP1
import PortcullisCore
import Testing

@testable import PortcullisHTTP

/// On several nodes the fast path reads an uncached check's facts on its event loop without waiting for the gate
/// first; the snapshot those facts come from must prove the caller's credential current. These tests hold the rule
/// itself, with a gate and facts whose revisions they choose: the HTTP tests on PostgreSQL (`SeveralNodesTests`) run
/// the same path against real nodes.
@Suite("Fast path: uncached checks read on the event loop, proven by their snapshot")
struct FastPathReadTests {
    /// A gate that has proven the node current, or not, and answers every wait at once.
    struct Gate: ConsistencyGate {
        let current: Bool
        func isCurrent(since: Int64) -> Bool { current }
        func isCurrent(withinNanoseconds nanoseconds: Int64) -> Bool { current }
        func whenCurrent(since: Int64, _ done: @escaping @Sendable (Result<Void, PortcullisError>) -> Void) { done(.success(())) }
        func awaitRevision(_ revision: Int64) async throws(PortcullisError) {}
        var status: ConsistencyGateStatus { ConsistencyGateStatus(live: true, appliedRevision: 0, reads: 0, provenAgoMilliseconds: nil) }
    }

    /// A reader the service only needs to have: these tests hand it the facts themselves.
    struct Reader: LoopFactsReader {
        func facts(_ request: CheckRequest, on loop: any EventLoop) -> EventLoopFuture<DecisionFacts>? { nil }
    }

    /// An in-memory directory whose commits move `versions`, a key whose identity the cache holds (as after the key's
    /// first request on the full path), and the fast path over both, as a PostgreSQL node builds it.
    struct Node {
        let store: any Store
        let cache: DecisionCache
        let key: String

        init() async throws {
            let versions = VersionClock()
            store = StoreBackend.memory(onCommit: versions.apply)
            cache = try DecisionCache(versions: versions, file: nil)
            let secret = APIKeySecret.generate()
            _ = try await store.createAPIKey(name: "svc", scopes: [.authz], secret: secret, source: .api, expiresAt: nil)
            key = secret.key
            #expect(try Authenticator(directory: store, cache: cache).identity(bearer: key) != nil)
        }

        func service(gateCurrent: Bool) -> FastPathService {
            let cacheOnly = CacheOnlyStore(store: store)
            var service = FastPathService(
                engine: AuthorizationEngine(store: cacheOnly, cache: cache), authenticator: Authenticator(directory: cacheOnly, cache: cache),
                classifier: ServerSettings().routeClassifier, shedder: nil, metrics: nil, accessLog: nil, monitor: nil, trustedProxies: [],
                maxBodyBytes: 1 << 20, serverName: "Portcullis", decisionLog: .discarding())
            service.gate = Gate(current: gateCurrent)
            service.reader = Reader()
            return service
        }

        /// A collected `POST /api/v1/authz/check` with this node's key.
        func request(_ check: [String: Any]) throws -> (FastPathRequest, ByteBuffer) {
            let body = try JSONSerialization.data(withJSONObject: check)
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: FastPathService.checkPath)
            head.headers.add(name: "Authorization", value: "Bearer \(key)")
            head.headers.add(name: "Content-Length", value: "\(body.count)")
            var request = try #require(FastPathRequest(head))
            request.routeClass = .criticalAuth
            return (request, ByteBuffer(bytes: body))
        }

        /// What the service makes of `check`, and of the facts of its snapshot read at `revision` (nil: the cache's).
        func outcome(_ check: [String: Any], gateCurrent: Bool = false, snapshotRevision revision: Int64? = nil) throws
            -> (first: FastPathService.Outcome, afterRead: FastPathService.Outcome?)
        {
            let service = service(gateCurrent: gateCurrent)
            let (request, body) = try request(check)
            var (credential, scratch): (BearerDigest?, ByteBuffer) = (nil, ByteBuffer())
            let first = service.answer(request, body: body, peer: "127.0.0.1", started: monotonicNanoseconds(), credential: &credential,
                                       scratch: &scratch, allocator: ByteBufferAllocator())
            guard case .read(let pending) = first else { return (first, nil) }
            var facts = try store.decisionFacts(pending.check.request)
            facts.revision = revision ?? cache.revision
            let afterRead = service.answer(request, read: pending, facts: .success(facts), peer: "127.0.0.1", started: monotonicNanoseconds(),
                                           scratch: &scratch, allocator: ByteBufferAllocator())
            return (first, afterRead)
        }
    }

    static var explained: [String: Any] { ["user_id": "u1", "action": "read", "resource_type": "team", "resource_id": "t1", "explain": true] }

    @Test("an explained check is read at once, and answered when the cache had applied the snapshot's revision")
    func answeredWhenProven() async throws {
        let node = try await Node()
        let outcome = try node.outcome(Self.explained)
        guard case .read(let pending) = outcome.first else { Issue.record("not read: \(outcome.first)"); return }
        #expect(pending.appliedBefore == node.cache.revision)
        guard case .answered(let response)? = outcome.afterRead else { Issue.record("not answered: \(String(describing: outcome.afterRead))"); return }
        #expect(String(buffer: response).contains(#""explanation":["#))
    }

    @Test("a snapshot newer than what the cache had applied when the credential was resolved goes to the full path")
    func passedOnWhenNewer() async throws {
        let node = try await Node()
        let outcome = try node.outcome(Self.explained, snapshotRevision: node.cache.revision + 1)
        guard case .passOn? = outcome.afterRead else { Issue.record("answered without proof: \(String(describing: outcome.afterRead))"); return }
    }

    @Test("once the gate has proven the node current for the request, any snapshot will do")
    func gateProven() async throws {
        let node = try await Node()
        let outcome = try node.outcome(Self.explained, gateCurrent: true, snapshotRevision: node.cache.revision + 5)
        guard case .read(let pending) = outcome.first else { Issue.record("not read: \(outcome.first)"); return }
        #expect(pending.appliedBefore == nil)
        guard case .answered? = outcome.afterRead else { Issue.record("not answered: \(String(describing: outcome.afterRead))"); return }
    }

    @Test("a cache miss after the gate is read here and cached: the same check is then the cache's")
    func missReadAndCached() async throws {
        let node = try await Node()
        var check = Self.explained
        check["explain"] = nil
        _ = try await node.store.createUser(NewUser(id: "u1", email: "u1@example.com"), passwordHash: nil)
        _ = try await node.store.createTeam(NewTeam(id: "t1", name: "Team", ownerId: "u1"))
        // L1 keeps an answer the second time it is computed, then answers it.
        for _ in 0..<2 {
            let outcome = try node.outcome(check, gateCurrent: true)
            guard case .read(let pending) = outcome.first, case .answered? = outcome.afterRead else {
                Issue.record("miss not read and answered: \(outcome)")
                return
            }
            #expect(pending.appliedBefore == nil)
        }
        let cached = try node.outcome(check, gateCurrent: true)
        guard case .answered(let response) = cached.first else { Issue.record("not answered from the cache: \(cached.first)"); return }
        #expect(String(buffer: response).contains(#""cache":"l1""#))
    }

    @Test("a check the cache may answer waits for the gate before anything is read")
    func cacheableWaitsForTheGate() async throws {
        let node = try await Node()
        var check = Self.explained
        check["explain"] = nil
        let outcome = try node.outcome(check, gateCurrent: false)
        guard case .awaitGate = outcome.first else { Issue.record("did not wait for the gate: \(outcome.first)"); return }
    }
}
