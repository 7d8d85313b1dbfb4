import HTTPTypes
import Hummingbird
import PortcullisCore

/// The query of `GET /api/v1/changes` and `GET /api/v1/changes/stream`, checked: every bad parameter is a 400
/// naming it.
struct ChangeRequest {
    /// Where to start: `since` (`N`, or a `next_cursor` `N:seq`), `cursor` (the same), or for the stream
    /// `Last-Event-ID`; nil when none was given.
    var after: ChangePosition?
    var entity: ChangeEntity?
    var entityId: String?
    var limit = 100

    init(_ request: Request, lastEventIdHeader: Bool = false) throws {
        let parameters = request.queryValues
        after = try Self.position(parameters.value("cursor"), field: "cursor")
            ?? Self.position(parameters.value("since"), field: "since")
        if lastEventIdHeader, let header = request.headers[Self.lastEventID] {
            // A reconnecting EventSource sends the id it saw last, and the URL it started with: the id wins.
            after = try Self.position(header, field: "Last-Event-ID")
        }
        if let raw = try parameters.value("entity") {
            guard let entity = ChangeEntity(rawValue: raw) else {
                throw PortcullisError.invalidField("entity", "must be one of \(ChangeEntity.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self.entity = entity
        }
        if let id = try parameters.value("entity_id") {
            let parts = id.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), parts.allSatisfy({ Identifier.isValid(String($0)) }) else {
                throw PortcullisError.invalidField("entity_id", "must be an entity id, or <team_id>/<user_id> for a membership")
            }
            entityId = id
        }
        if let raw = try parameters.value("limit") {
            guard let limit = Int(raw), (1...ChangeQuery.maxLimit).contains(limit) else {
                throw PortcullisError.invalidField("limit", "must be an integer in 1...\(ChangeQuery.maxLimit)")
            }
            self.limit = limit
        }
    }

    /// The query after `position`.
    func query(after position: ChangePosition, limit: Int? = nil) -> ChangeQuery {
        ChangeQuery(after: position, entity: entity, entityId: entityId, limit: limit ?? self.limit)
    }

    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    private static func position(_ text: String?, field: String) throws -> ChangePosition? {
        guard let text else { return nil }
        guard let position = ChangePosition(text) else {
            throw PortcullisError.invalidField(field, "must be a revision N or a cursor N:seq (non-negative integers)")
        }
        return position
    }
}
