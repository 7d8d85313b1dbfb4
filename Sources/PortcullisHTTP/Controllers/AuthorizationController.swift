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

    func addRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let engine = engine, decisionLog = decisionLog
        router.route(.post, "/api/v1/authz/check", in: table) { request, context in
            let identity = try context.requireIdentity()
            var request = request
            var fields = try await request.jsonFields(context: context)
            let check = try CheckRequest(&fields)
            try Self.authorize(identity, toAsk: check)
            let start = monotonicNanoseconds()
            let decision = identity.mayCheckAnyUser ? try engine.check(check) : try engine.checkAsSubject(check)
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
            let start = monotonicNanoseconds()
            let decisions = identity.mayCheckAnyUser ? try engine.check(batch: checks) : try engine.checkAsSubject(batch: checks)
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
            let (page, revision) = try engine.resources(userId: userId, type: type, action: action, page: request.pageRequest())
            return try .json(IDPage(key: "ids", page: page, revision: revision))
        }
        router.route(.get, "/api/v1/authz/subjects", in: table) { request, context in
            let identity = try context.requireIdentity()
            guard identity.mayCheckAnyUser else {
                throw PortcullisError(.forbidden, "listing who may access a resource needs an API key or an administrator")
            }
            let type = try Self.resourceType(request.query("resource_type"))
            let id = try Self.id(request.query("resource_id"), field: "resource_id")
            let action = try CheckRequest.action(request.query("action"), for: type)
            let (page, revision) = try engine.subjects(type: type, id: id, action: action, page: request.pageRequest())
            return try .json(IDPage(key: "user_ids", page: page, revision: revision))
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
        buffer.writeStaticString(#"{"allowed":"#)
        if decision.allowed { buffer.writeStaticString("true") } else { buffer.writeStaticString("false") }
        buffer.writeStaticString(#","reason":""#)
        buffer.writeJSONEscaped(decision.reason.code)
        buffer.writeStaticString(#"","cache":""#)
        buffer.writeString(decision.cacheLayer.rawValue)
        buffer.writeStaticString(#"","took_us":"#)
        buffer.writeDecimal(tookMicroseconds)
        buffer.writeStaticString(#","revision":"#)
        buffer.writeDecimal(decision.revision)
        buffer.writeStaticString(#","decision_id":""#)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: DecisionID.textLength) { raw in
            id.writeText(into: UnsafeMutableBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: raw.count))
        }
        buffer.writeStaticString("\"")
        if let asOf = check.asOf {
            buffer.writeStaticString(#","as_of":""#)
            buffer.writeString(Timestamp.format(epochMilliseconds: asOf))
            buffer.writeStaticString("\"")
        }
        if check.consistency == .minimizeLatency { buffer.writeStaticString(#","consistency":"bounded""#) }
        if let explanation = decision.explanation {
            buffer.writeStaticString(#","explanation":["#)
            for (index, step) in explanation.enumerated() {
                buffer.writeStaticString(index == 0 ? #"{"rule":""# : #",{"rule":""#)
                buffer.writeJSONEscaped(step.rule)
                buffer.writeStaticString(#"","outcome":""#)
                buffer.writeString(step.outcome.rawValue)
                buffer.writeStaticString(#"","detail":""#)
                buffer.writeJSONEscaped(step.detail)
                buffer.writeStaticString("\"}")
            }
            buffer.writeStaticString("]")
        }
        buffer.writeStaticString("}")
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
        if value < 0 { writeStaticString("-") }
        var magnitude = value.magnitude
        var digits = 1
        var rest = magnitude / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        writeWithUnsafeMutableBytes(minimumWritableBytes: digits) { raw in
            var index = digits
            repeat {
                index -= 1
                raw[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while index > 0
            return digits
        }
    }

    /// `text` as the inside of a JSON string: `"` and `\` escaped, a newline as `\n`, other control characters as
    /// `\u00XX`; everything else (UTF-8 included) as it is.
    mutating func writeJSONEscaped(_ text: String) {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }) else {
            writeString(text)
            return
        }
        let hex = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): writeStaticString("\\\"")
            case UInt8(ascii: "\\"): writeStaticString("\\\\")
            case UInt8(ascii: "\n"): writeStaticString("\\n")
            case 0..<0x20: writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: writeInteger(byte)
            }
        }
    }
}

