import HTTPTypes
import Hummingbird
import NIOCore
import PortcullisCore

/// `check`, `check-batch`, `resources` and `subjects` (SPEC section 4, authorization).
struct AuthorizationController {
    static let maxBatch = 1000
    let engine: AuthorizationEngine
    /// Gives every answer its `decision_id` and logs those its mode selects.
    let decisionLog: DecisionLog
    /// Several nodes: an `at_least_revision` check waits until this node has applied that revision.
    var gate: (any ConsistencyGate)? = nil

    func addRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let engine = engine, decisionLog = decisionLog, gate = gate
        router.route(.post, "/api/v1/authz/check", in: table) { request, context in
            let identity = try context.requireIdentity()
            var request = request
            var fields = try await request.jsonFields(context: context)
            let check = try CheckRequest(&fields)
            try Self.authorize(identity, toAsk: check)
            if let gate, let revision = check.consistency.leastRevision { try await gate.awaitRevision(revision) }
            let start = monotonicNanoseconds()
            // Awaited: a miss on PostgreSQL is a round trip, which must not hold a thread of the cooperative pool.
            let decision = identity.mayCheckAnyUser
                ? try await engine.check(asynchronously: check) : try await engine.checkAsSubject(asynchronously: check)
            let took = Self.microseconds(since: start)
            let id = decisionLog.record(check, decision, caller: DecisionCaller(identity))
            var body = ByteBuffer()
            DecisionJSON.write(decision, id: id, tookMicroseconds: took, for: check, into: &body)
            return .json(body)
        }
        router.route(.post, "/api/v1/authz/check-batch", in: table) { request, context in
            let identity = try context.requireIdentity()
            var request = request
            var fields = try await request.jsonFields(context: context)
            let checks = try Self.batch(&fields)
            for check in checks { try Self.authorize(identity, toAsk: check) }
            if let gate, let revision = checks.lazy.compactMap(\.consistency.leastRevision).max() { try await gate.awaitRevision(revision) }
            let start = monotonicNanoseconds()
            let decisions = try await engine.runBlocking { engine in
                identity.mayCheckAnyUser ? try engine.check(batch: checks) : try engine.checkAsSubject(batch: checks)
            }
            let took = Self.microseconds(since: start)
            let ids = decisionLog.record(batch: checks, decisions, caller: DecisionCaller(identity))
            var body = ByteBuffer()
            DecisionJSON.writeBatch(decisions, ids: ids, tookMicroseconds: took, for: checks, into: &body)
            return .json(body)
        }
        router.route(.get, "/api/v1/authz/resources", in: table) { request, context in
            let identity = try context.requireIdentity()
            let userId = try Self.id(request.query("user_id"), field: "user_id")
            let type = try Self.resourceType(request.query("resource_type"))
            let action = try CheckRequest.action(request.query("action"), for: type)
            try Self.authorize(identity, toAskAbout: userId)
            let page = try request.pageRequest()
            let (ids, revision) = try await engine.runBlocking { engine in
                try engine.resources(userId: userId, type: type, action: action, page: page)
            }
            return try .json(IDPage(key: "ids", page: ids, revision: revision))
        }
        router.route(.get, "/api/v1/authz/subjects", in: table) { request, context in
            let identity = try context.requireIdentity()
            guard identity.mayCheckAnyUser else {
                throw PortcullisError(.forbidden, "listing who may access a resource needs an API key or an administrator")
            }
            let type = try Self.resourceType(request.query("resource_type"))
            let id = try Self.id(request.query("resource_id"), field: "resource_id")
            let action = try CheckRequest.action(request.query("action"), for: type)
            let page = try request.pageRequest()
            let (ids, revision) = try await engine.runBlocking { engine in try engine.subjects(type: type, id: id, action: action, page: page) }
            return try .json(IDPage(key: "user_ids", page: ids, revision: revision))
        }
    }

    /// `authorize(_:toAskAbout:)`, and a what-if (`as_of`) check is for administrators only (SPEC 8.3).
    static func authorize(_ identity: Identity, toAsk check: CheckRequest) throws {
        try authorize(identity, toAskAbout: check.userId)
        if check.asOf != nil && !identity.isAdmin {
            throw PortcullisError(.forbidden, "a check as_of another time needs an administrator")
        }
    }

    /// API keys with `authz` or `admin` scope may ask about anyone; a user token only about its own user.
    static func authorize(_ identity: Identity, toAskAbout userId: String) throws {
        if identity.mayCheckAnyUser { return }
        if case .user(let id, _) = identity, id == userId { return }
        throw PortcullisError(.forbidden, "a user token may only check its own user")
    }

    static func batch(_ fields: inout FieldReader) throws -> [CheckRequest] {
        guard fields.has("checks") else { throw PortcullisError.invalidField("checks", "is required") }
        let items = try fields.array("checks")
        try fields.finish()
        guard items.count <= maxBatch else { throw PortcullisError.invalidField("checks", "at most \(maxBatch) checks per batch, got \(items.count)") }
        return try items.enumerated().map { index, item in
            do {
                var itemFields = try FieldReader(item)
                return try CheckRequest(&itemFields)
            } catch let error as PortcullisError {
                throw PortcullisError.invalidField("checks[\(index)]", error.message)
            }
        }
    }

    static func id(_ value: String, field: String) throws -> String {
        guard Identifier.isValid(value) else { throw PortcullisError.invalidField(field, "must be 1–128 characters of A-Z a-z 0-9 . _ : -") }
        return value
    }

    static func resourceType(_ value: String) throws -> ResourceType {
        guard let type = ResourceType(rawValue: value) else {
            throw PortcullisError.invalidField("resource_type", "must be one of \(ResourceType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return type
    }

    static func microseconds(since start: Int64) -> Int64 {
        (monotonicNanoseconds() - start) / 1000
    }
}

/// `{ids|user_ids: [...], next_cursor, revision}`.
struct IDPage: Encodable {
    var key: String
    var page: Page<String>
    var revision: Int64

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(page.items, forKey: Key(stringValue: key))
        try container.encode(page.nextCursor, forKey: Key(stringValue: "next_cursor"))
        try container.encode(revision, forKey: Key(stringValue: "revision"))
    }
}

/// Decisions are the hottest response: written by hand, straight into the response's bytes, rather than through
/// JSONEncoder or string interpolation.
enum DecisionJSON {
    /// The result object of SPEC section 4; `check` adds what the question asked for: `as_of` for a what-if check and
    /// `"consistency": "bounded"` for a `minimize_latency` one.
    static func write(_ decision: Decision, id: DecisionID, tookMicroseconds: Int64, for check: CheckRequest, into buffer: inout ByteBuffer) {
        let asOf = check.asOf.map { Timestamp.format(epochMilliseconds: $0) }
        var capacity = 256 + ByteWriter.escapedBound(decision.reason.code) + decision.cacheLayer.rawValue.utf8.count + (asOf?.utf8.count ?? 0)
        for step in decision.explanation ?? [] {
            capacity += 40 + ByteWriter.escapedBound(step.rule) + step.outcome.rawValue.utf8.count + ByteWriter.escapedBound(step.detail)
        }
        ByteWriter.write(into: &buffer, capacity: capacity) { json in
            json.write(#"{"allowed":"#)
            if decision.allowed { json.write("true") } else { json.write("false") }
            json.write(#","reason":""#)
            json.writeJSONEscaped(decision.reason.code)
            json.write(#"","cache":""#)
            json.write(decision.cacheLayer.rawValue)
            json.write(#"","took_us":"#)
            json.writeDecimal(tookMicroseconds)
            json.write(#","revision":"#)
            json.writeDecimal(decision.revision)
            json.write(#","decision_id":""#)
            json.write(id)
            json.write(UInt8(ascii: "\""))
            if let asOf {
                json.write(#","as_of":""#)
                json.write(asOf)
                json.write(UInt8(ascii: "\""))
            }
            if check.consistency == .minimizeLatency { json.write(#","consistency":"bounded""#) }
            if let explanation = decision.explanation {
                json.write(#","explanation":["#)
                for (index, step) in explanation.enumerated() {
                    json.write(index == 0 ? #"{"rule":""# : #",{"rule":""#)
                    json.writeJSONEscaped(step.rule)
                    json.write(#"","outcome":""#)
                    json.write(step.outcome.rawValue)
                    json.write(#"","detail":""#)
                    json.writeJSONEscaped(step.detail)
                    json.write("\"}")
                }
                json.write(UInt8(ascii: "]"))
            }
            json.write(UInt8(ascii: "}"))
        }
    }

    /// A batch's answer, `{"results":[…]}`, the results in the order of the checks.
    static func writeBatch(_ decisions: [Decision], ids: [DecisionID], tookMicroseconds: Int64, for checks: [CheckRequest],
                           into buffer: inout ByteBuffer) {
        buffer.writeStaticString(#"{"results":["#)
        for index in checks.indices {
            if index > 0 { buffer.writeStaticString(",") }
            write(decisions[index], id: ids[index], tookMicroseconds: tookMicroseconds, for: checks[index], into: &buffer)
        }
        buffer.writeStaticString("]}")
    }
}

extension ByteBuffer {
    /// `value` in decimal ASCII, written without a `String` in between.
    mutating func writeDecimal(_ value: Int64) {
        ByteWriter.write(into: &self, capacity: 20) { $0.writeDecimal(value) }
    }

    /// `text` as the inside of a JSON string (`ByteWriter.writeJSONEscaped`).
    mutating func writeJSONEscaped(_ text: String) {
        ByteWriter.write(into: &self, capacity: ByteWriter.escapedBound(text)) { $0.writeJSONEscaped(text) }
    }
}

extension ByteWriter {
    /// A decision id's 24 hex digits.
    mutating func write(_ id: DecisionID) {
        let target = reserve(DecisionID.textLength)
        id.writeText(into: UnsafeMutableBufferPointer(start: target, count: DecisionID.textLength))
    }
}
