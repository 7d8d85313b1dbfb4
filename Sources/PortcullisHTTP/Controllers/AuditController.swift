import HTTPTypes
import Hummingbird
import PortcullisCore

/// `GET /api/v1/audit/decisions` and `GET /api/v1/audit/decisions/{decision_id}` (SPEC 8.2), in the administrators'
/// group: the decision log, newest first, filtered through its indexes.
struct AuditController {
    let decisionLog: DecisionLog

    func addRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let decisionLog = decisionLog
        router.route(.get, "/api/v1/audit/decisions", in: table) { request, _ in
            let page = try decisionLog.page(try Self.query(request))
            return try .json(DecisionPageBody(items: page.items, nextCursor: page.nextCursor))
        }
        router.route(.get, "/api/v1/audit/decisions/{decision_id}", in: table) { _, context in
            guard let entry = try decisionLog.entry(id: try context.parameters.require("decision_id")) else {
                throw PortcullisError(.notFound, "the decision log holds no decision with this id")
            }
            return try .json(entry)
        }
    }

    /// The query's filters and page, each bad value a 400 naming its parameter.
    static func query(_ request: Request) throws -> DecisionQuery {
        let parameters = request.uri.queryParameters
        func value(_ name: String) -> String? { parameters[Substring(name)].map(String.init) }
        var query = DecisionQuery()
        query.userId = try value("user_id").map { try AuthorizationController.id($0, field: "user_id") }
        query.resourceId = try value("resource_id").map { try AuthorizationController.id($0, field: "resource_id") }
        if let type = value("resource_type") {
            guard DecisionQuery.resourceTypes.contains(type) else {
                throw PortcullisError.invalidField("resource_type", "must be one of \(DecisionQuery.resourceTypes.joined(separator: ", "))")
            }
            query.resourceType = type
        }
        if let allowed = value("allowed") {
            guard allowed == "true" || allowed == "false" else { throw PortcullisError.invalidField("allowed", "must be true or false") }
            query.allowed = allowed == "true"
        }
        query.since = try value("since").map { try milliseconds($0, field: "since") }
        query.until = try value("until").map { try milliseconds($0, field: "until") }
        if let limit = value("limit") {
            guard let number = Int(limit), (1...DecisionQuery.maxLimit).contains(number) else {
                throw PortcullisError.invalidField("limit", "must be an integer in 1...\(DecisionQuery.maxLimit)")
            }
            query.limit = number
        }
        if let cursor = value("cursor") {
            guard let key = Int64(cursor), key >= 0 else {
                throw PortcullisError.invalidField("cursor", "must be a next_cursor from an earlier page")
            }
            query.cursor = key
        }
        return query
    }

    /// Unix milliseconds of an RFC 3339 UTC timestamp (`Validate.timestamp`'s form), fractions beyond milliseconds cut.
    static func milliseconds(_ text: String, field: String) throws -> Int64 {
        // A timestamp Validate accepted always reads back.
        Timestamp.epochMilliseconds(try Validate.timestamp(text, field: field)) ?? 0
    }
}

/// `{items, next_cursor}`: a page of the decision log.
struct DecisionPageBody: Encodable {
    var items: [StoredDecision]
    var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case items, nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}
