import PortcullisModel
import PortcullisPolicy
import PortcullisCache
import PortcullisStore

/// Answers authorization questions: from the decision cache when it holds a valid answer, otherwise from one
/// consistent snapshot per question (or per batch), caching what it evaluated.
///
/// ```swift
/// let engine = AuthorizationEngine(store: store, cache: cache)
/// let decision = try engine.check(CheckRequest(userId: "u1", action: .read, resourceType: .generation, resourceId: "g1"))
/// ```
public struct AuthorizationEngine: Sendable {
    /// Where facts are read from, one snapshot per question (or per batch).
    public let store: any AuthorizationStore
    /// Nil: every decision is evaluated.
    public let cache: DecisionCache?
    /// Times each decision (`authorization`) and cache lookup (`cache_operation`); nil measures nothing.
    public let monitor: PerformanceMonitor?
    /// The instant time-bound memberships are evaluated at; the cache's clock, so that an answer is cached only until
    /// the next bound that could change it, as that clock reads it.
    public let clock: WallClock

    /// How far ahead an `as_of` check may look (30 days, SPEC 8.3).
    public static let asOfHorizonMilliseconds: Int64 = 30 * 86_400_000
    /// How far in the past an `as_of` may lie: a client that sends "now" is read a little later.
    public static let asOfToleranceMilliseconds: Int64 = 60_000

    /// An engine over `store`; without `cache` every decision is evaluated, without `monitor` nothing is timed. Pass the
    /// cache's clock as `clock`.
    public init(store: any AuthorizationStore, cache: DecisionCache? = nil, monitor: PerformanceMonitor? = nil, clock: WallClock = .system) {
        self.store = store
        self.cache = cache
        self.monitor = monitor
        self.clock = clock
    }

    /// Decides one request. A request with `explain` is always evaluated fresh; every decision, cached or not, carries
    /// the rule path it was decided by (`Decision.rulePath`).
    ///
    /// The decision's `revision` is the snapshot's for an evaluated answer, and for a cached one the revision the cache
    /// read before its lookup: either way it reflects every write that had returned before the check began.
    /// `cacheLayer` says which layer answered.
    ///
    /// ```swift
    /// let decision = try engine.check(CheckRequest(userId: "u1", action: .download, resourceType: .generation, resourceId: "g42"))
    /// if decision.allowed { /* serve */ } else { print(decision.reason.code) }   // e.g. "no_grant"
    /// ```
    /// - Throws: the store's errors (`store_error`, `store_unavailable`); a denial is a decision, not an error.
    public func check(_ request: CheckRequest) throws -> Decision {
        guard let monitor else { return try decide(request) }
        let start = monotonicNanoseconds()
        let decision = try decide(request)
        monitor.record(.authorization, nanoseconds: monotonicNanoseconds() - start)
        return decision
    }

    private func decide(_ request: CheckRequest) throws -> Decision {
        let now = clock.milliseconds()
        let instant = try Self.instant(of: request, now: now)
        guard let cache = Self.cache(self.cache, for: request) else {
            let facts = try store.decisionFacts(request)
            try Self.require(facts.revision, reaches: request.consistency.leastRevision)
            return Self.evaluate(request, facts: facts, now: instant).decision
        }
        let answer = try cache.answer(Self.cacheKey(request), DecisionCodec.codec) {
            Self.computed(request, facts: try store.decisionFacts(request), now: now)
        }
        return Self.reported(answer)
    }

    /// `check(_:)` for an `async` caller (the HTTP handlers): the same answers through the same cache sequence, but a
    /// miss awaits `AuthorizationStore.decisionFacts(asynchronously:)`, so on PostgreSQL no thread waits for the round
    /// trip (on SQLite the read is the synchronous one).
    ///
    /// ```swift
    /// let decision = try await engine.check(asynchronously: CheckRequest(userId: "u1", action: .read, resourceType: .team, resourceId: "t1"))
    /// ```
    public func check(asynchronously request: CheckRequest) async throws -> Decision {
        guard let monitor else { return try await decide(asynchronously: request) }
        let start = monotonicNanoseconds()
        let decision = try await decide(asynchronously: request)
        monitor.record(.authorization, nanoseconds: monotonicNanoseconds() - start)
        return decision
    }

    private func decide(asynchronously request: CheckRequest) async throws -> Decision {
        let now = clock.milliseconds()
        let instant = try Self.instant(of: request, now: now)
        guard let cache = Self.cache(self.cache, for: request) else {
            let facts = try await store.decisionFacts(asynchronously: request)
            try Self.require(facts.revision, reaches: request.consistency.leastRevision)
            return Self.evaluate(request, facts: facts, now: instant).decision
        }
        let answer = try await cache.answer(Self.cacheKey(request), DecisionCodec.codec) {
            Self.computed(request, facts: try await store.decisionFacts(asynchronously: request), now: now)
        }
        return Self.reported(answer)
    }

    /// A check the cache could not answer, to be decided from facts read after it (`begin(_:)`, then `finish(_:facts:)`).
    public struct PendingCheck: Sendable {
        public let request: CheckRequest
        /// When it began (`monotonicNanoseconds()`), for the decision's timing.
        public let startedAt: Int64
        let now: Int64
        let instant: Int64
        /// The cache's revision before its lookup missed; nil for an answer that is never cached.
        let missedAt: Int64?
    }

    /// What `begin(_:)` found: the cache's answer, or a check waiting for its facts.
    public enum CheckStep: Sendable {
        case decided(Decision)
        case pending(PendingCheck)
    }

    /// `check(_:)` in two halves, for a caller whose read completes later without a thread or task waiting for it (the
    /// fast path on PostgreSQL reads on its event loop): the cached answer, or a check whose facts the caller reads
    /// next (`AuthorizationStore.decisionFacts`, one snapshot begun after this returns) and hands to `finish`. The
    /// answers, the cache sequence and what is cached are `check(_:)`'s.
    public func begin(_ request: CheckRequest) throws -> CheckStep {
        let startedAt = monotonicNanoseconds()
        let now = clock.milliseconds()
        let instant = try Self.instant(of: request, now: now)
        guard let cache = Self.cache(self.cache, for: request) else {
            return .pending(PendingCheck(request: request, startedAt: startedAt, now: now, instant: instant, missedAt: nil))
        }
        switch cache.lookUp(Self.cacheKey(request), DecisionCodec.codec) {
        case .hit(let answer):
            monitor?.record(.authorization, nanoseconds: monotonicNanoseconds() - startedAt)
            return .decided(Self.reported(answer))
        case .miss(let revision):
            return .pending(PendingCheck(request: request, startedAt: startedAt, now: now, instant: instant, missedAt: revision))
        }
    }

    /// The decision of `pending` from the facts read for it, cached as `check(_:)` caches a miss.
    /// - Throws: `invalid_field` when the facts' snapshot has not reached the revision the check asks for.
    public func finish(_ pending: PendingCheck, facts: DecisionFacts) throws -> Decision {
        defer { monitor?.record(.authorization, nanoseconds: monotonicNanoseconds() - pending.startedAt) }
        guard let revision = pending.missedAt, let cache else {
            try Self.require(facts.revision, reaches: pending.request.consistency.leastRevision)
            return Self.evaluate(pending.request, facts: facts, now: pending.instant).decision
        }
        let computed = Self.computed(pending.request, facts: facts, now: pending.now)
        return Self.reported(cache.keep(computed, for: Self.cacheKey(pending.request), DecisionCodec.codec, computedAfter: revision))
    }

    /// `checkAsSubject(_:)` for an `async` caller, as `check(asynchronously:)` is to `check(_:)`.
    public func checkAsSubject(asynchronously request: CheckRequest) async throws -> Decision {
        let decision = try await check(asynchronously: request)
        if decision.allowed { return decision }
        if request.action != .read, try await check(asynchronously: Self.readProbe(request)).allowed { return decision }
        return Self.concealed(decision, request)
    }

    /// Runs `body`, synchronous work of this engine (a batch, a listing), for an `async` caller where its reads may
    /// block (`AuthorizationStore.runBlockingRead`: at once on SQLite, on a thread pool of its own on PostgreSQL).
    public func runBlocking<T: Sendable>(_ body: @escaping @Sendable (AuthorizationEngine) throws -> T) async throws -> T {
        let engine = self
        return try await store.runBlockingRead { try body(engine) }
    }

    /// Whether this engine's cache may answer `request` (else it reads a snapshot): not for an explained or what-if check,
    /// nor for one asking for a revision the cache has not applied.
    public func mayAnswerFromCache(_ request: CheckRequest) -> Bool {
        Self.cache(cache, for: request) != nil
    }

    /// The cache that may answer `request`, if any. Explained and what-if answers are never cached; an answer that must
    /// reflect a revision the cache has not yet applied is read from a snapshot, which shows every committed write.
    static func cache(_ cache: DecisionCache?, for request: CheckRequest) -> DecisionCache? {
        guard let cache, !request.explain, request.asOf == nil else { return nil }
        if let wanted = request.consistency.leastRevision, wanted > cache.revision { return nil }
        return cache
    }

    /// An evaluated answer as the cache keeps it.
    static func computed(_ request: CheckRequest, facts: DecisionFacts, now: Int64) -> Computed<Decision> {
        let evaluated = evaluate(request, facts: facts, now: now)
        return Computed(evaluated.decision, dependencies: evaluated.dependencies, validUntil: evaluated.validUntil)
    }

    /// The instant a request's time bounds are evaluated at: now, or its `as_of` when that lies between now (less
    /// `asOfToleranceMilliseconds`) and `asOfHorizonMilliseconds` ahead.
    static func instant(of request: CheckRequest, now: Int64) throws(PortcullisError) -> Int64 {
        guard let asOf = request.asOf else { return now }
        guard asOf >= now - asOfToleranceMilliseconds, asOf <= now + asOfHorizonMilliseconds else {
            throw .invalidField("as_of", "must lie between now and 30 days ahead")
        }
        return asOf
    }

    /// A revision the data has not reached cannot be promised (SPEC 8.4: a 400).
    static func require(_ revision: Int64, reaches wanted: Int64?) throws(PortcullisError) {
        if let wanted, wanted > revision {
            throw .invalidField("consistency", "revision \(wanted) has not been reached; the data is at revision \(revision)")
        }
    }

    /// A cached decision reports the revision read before its lookup; an evaluated one its snapshot's.
    static func reported(_ answer: Answer<Decision>) -> Decision {
        var decision = answer.value
        decision.cacheLayer = answer.layer
        if answer.layer != .miss { decision.revision = answer.revision }
        return decision
    }

    /// Decides every request in order, reporting one revision for all: the cache answers what it validly holds, and
    /// the rest is evaluated against one snapshot.
    public func check(batch requests: [CheckRequest]) throws -> [Decision] {
        guard let monitor, !requests.isEmpty else { return try decide(batch: requests) }
        let start = monotonicNanoseconds()
        let decisions = try decide(batch: requests)
        monitor.record(.authorization, nanoseconds: monotonicNanoseconds() - start)
        return decisions
    }

    private func decide(batch requests: [CheckRequest]) throws -> [Decision] {
        guard !requests.isEmpty else { return [] }
        let now = clock.milliseconds()
        let instants = try requests.map { request throws(PortcullisError) in try Self.instant(of: request, now: now) }
        let wanted = requests.lazy.compactMap(\.consistency.leastRevision).max()
        guard let cache, wanted.map({ $0 <= cache.revision }) ?? true else {
            return try store.withSnapshot { snapshot in
                let revision = try snapshot.revision()
                try Self.require(revision, reaches: wanted)
                return try requests.indices.map { index in
                    try Self.evaluate(requests[index], facts: DecisionFacts(requests[index], in: snapshot, revision: revision), now: instants[index]).decision
                }
            }
        }
        // Read first: every answer below is valid at it (cached ones were validated later, evaluated ones reflect more).
        let revision = cache.revision
        var decisions = [Decision?](repeating: nil, count: requests.count)
        let cacheable = requests.indices.filter { !requests[$0].explain && requests[$0].asOf == nil }
        let answers = try cache.answers(cacheable.map { Self.cacheKey(requests[$0]) }, DecisionCodec.codec) { missing in
            try store.withSnapshot { snapshot in
                let snapshotRevision = try snapshot.revision()
                return try missing.map { position in
                    let request = requests[cacheable[position]]
                    let evaluated = Self.evaluate(request, facts: try DecisionFacts(request, in: snapshot, revision: snapshotRevision), now: now)
                    return Computed(evaluated.decision, dependencies: evaluated.dependencies, validUntil: evaluated.validUntil)
                }
            }
        }
        for (index, answer) in zip(cacheable, answers) { decisions[index] = Self.reported(answer) }
        let uncached = requests.indices.filter { requests[$0].explain || requests[$0].asOf != nil }
        if !uncached.isEmpty {
            try store.withSnapshot { snapshot in
                let snapshotRevision = try snapshot.revision()
                for index in uncached {
                    let facts = try DecisionFacts(requests[index], in: snapshot, revision: snapshotRevision)
                    decisions[index] = Self.evaluate(requests[index], facts: facts, now: instants[index]).decision
                }
            }
        }
        return decisions.map { decision in
            var decision = decision!
            decision.revision = revision
            return decision
        }
    }

    /// Decides a request a user asks about themselves (a user token): SPEC 8.1's view. A resource the user cannot read
    /// is `no_grant` whether it exists or not, with the same explanation and `cache: miss` either way (answers about
    /// absent resources are never cached, so a cached one would tell them apart).
    public func checkAsSubject(_ request: CheckRequest) throws -> Decision {
        let decision = try check(request)
        if decision.allowed { return decision }
        if request.action != .read, try check(Self.readProbe(request)).allowed { return decision }
        return Self.concealed(decision, request)
    }

    /// Whether the user may read the resource of `request` tells a denial of another action apart from a concealed one.
    static func readProbe(_ request: CheckRequest) -> CheckRequest {
        var read = CheckRequest(userId: request.userId, action: .read, resourceType: request.resourceType, resourceId: request.resourceId)
        read.asOf = request.asOf
        return read
    }

    /// Every request of a batch, as `checkAsSubject` decides one.
    public func checkAsSubject(batch requests: [CheckRequest]) throws -> [Decision] {
        let decisions = try check(batch: requests)
        let unreadable = requests.indices.filter { !decisions[$0].allowed && requests[$0].action == .read }
        let toProbe = requests.indices.filter { !decisions[$0].allowed && requests[$0].action != .read }
        let probes = try check(batch: toProbe.map { Self.readProbe(requests[$0]) })
        var concealed = Set(unreadable)
        for (index, probe) in zip(toProbe, probes) where !probe.allowed { concealed.insert(index) }
        return decisions.indices.map { index in
            concealed.contains(index) ? Self.concealed(decisions[index], requests[index]) : decisions[index]
        }
    }

    static func concealed(_ decision: Decision, _ request: CheckRequest) -> Decision {
        var decision = decision
        decision.reason = .noGrant
        decision.cacheLayer = .miss
        decision.rulePath = RulePath([.userActive, .concealedNoGrant])
        if request.explain {
            decision.explanation = decision.rulePath.explanation(action: request.action, resourceType: request.resourceType.rawValue)
        }
        return decision
    }

    /// One page of the ids of resources of `type` the user may act on now; consistent with `check`.
    public func resources(userId: String, type: ResourceType, action: Action, page: PageRequest) throws -> (page: Page<String>, revision: Int64) {
        let now = clock.milliseconds()
        return try store.withSnapshot { snapshot in
            (try snapshot.resources(userId: userId, type: type, action: action, now: now, page: page), try snapshot.revision())
        }
    }

    /// One page of the ids of users who may act on the resource now; throws `not_found` when it is absent.
    public func subjects(type: ResourceType, id: String, action: Action, page: PageRequest) throws -> (page: Page<String>, revision: Int64) {
        let now = clock.milliseconds()
        return try store.withSnapshot { snapshot in
            guard let subjects = try snapshot.subjects(type: type, id: id, action: action, now: now, page: page) else {
                throw PortcullisError.notFound(type.rawValue, id)
            }
            return (subjects, try snapshot.revision())
        }
    }

    // MARK: Evaluation

    /// The decision at `now` (Unix milliseconds), what it depends on, and until when it holds: nil dependencies when
    /// the answer involves an absent entity (whose later creation has no version to move), which is therefore not
    /// cached; `validUntil` is the next time bound of the membership it read, after which the same data may answer
    /// differently (docs/caching.md, "Time").
    static func evaluate(_ request: CheckRequest, facts: DecisionFacts, now: Int64)
        -> (decision: Decision, dependencies: [DependencyKey]?, validUntil: Int64?)
    {
        let user = facts.subject
        // An inactive user is denied before the resource is looked at (rule 1): `facts` then holds no resource.
        let active = user?.isActive == true
        var dependencies: [DependencyKey]? = user == nil ? nil : [.user(request.userId)]
        let decision: Decision
        let membership: MembershipFacts?
        switch facts.resource {
        case .generation(let generation):
            decision = Policy.decide(user: user, action: request.action, generation: generation, userId: request.userId, now: now,
                                     revision: facts.revision, explain: request.explain)
            membership = generation?.project?.membership
            if active {
                if let generation {
                    dependencies?.append(.generation(request.resourceId))
                    if let projectId = generation.projectId { dependencies?.append(.project(projectId)) }
                    if let teamId = generation.project?.teamId { dependencies?.append(.team(teamId)) }
                } else {
                    dependencies = nil
                }
            }
        case .project(let project):
            decision = Policy.decide(user: user, action: request.action, project: project, userId: request.userId, now: now,
                                     revision: facts.revision, explain: request.explain)
            membership = project?.membership
            if active {
                if let project {
                    dependencies?.append(.project(request.resourceId))
                    if let teamId = project.teamId { dependencies?.append(.team(teamId)) }
                } else {
                    dependencies = nil
                }
            }
        case .team(let team):
            decision = Policy.decide(user: user, action: request.action, team: team, now: now, revision: facts.revision, explain: request.explain)
            membership = team?.membership
            if active {
                if team != nil { dependencies?.append(.team(request.resourceId)) } else { dependencies = nil }
            }
        }
        return (decision, dependencies, membership?.nextBound(after: now))
    }

    static func cacheKey(_ request: CheckRequest) -> CacheKey {
        CacheKey(.decision, request.userId, request.resourceType.rawValue, request.resourceId, request.action.rawValue)
    }
}

/// A decision as a cache entry, with its rule path (`RulePath.encoded`) so that a cached answer can still be explained
/// as it was decided: `1|owner|BEGH.--`, `1|team_role:viewer|BEGIQZ.v-t1`, `0|no_grant|BEGIJKLM.--`.
enum DecisionCodec {
    static let codec = CacheCodec<Decision>(encode: encode, decode: decode)

    static func encode(_ decision: Decision) -> String {
        (decision.allowed ? "1|" : "0|") + decision.reason.code + "|" + decision.rulePath.encoded
    }

    /// Nil for anything else, including the payloads of versions that kept no rule path (the entry is then recomputed).
    /// Read over the payload's contiguous UTF-8 with integer indices: it runs on every cache hit.
    static func decode(_ payload: String) -> Decision? {
        var payload = payload
        return payload.withUTF8 { bytes -> Decision? in
            guard bytes.count > 2, let bar = bytes[2...].firstIndex(of: UInt8(ascii: "|")),
                  let reason = Reason(code: UnsafeBufferPointer(rebasing: bytes[2..<bar])),
                  let path = RulePath(encoded: UnsafeBufferPointer(rebasing: bytes[(bar + 1)...]))
            else { return nil }
            return Decision(allowed: bytes[0] == UInt8(ascii: "1"), reason: reason, revision: 0, rulePath: path)
        }
    }
}
