import HTTPTypes
import Hummingbird
import PortcullisCore

/// `GET /api/v1/changes` and `GET /api/v1/changes/stream` (SPEC 8.2), in the administrators' group: the change log,
/// paged in revision order, and the same log as Server-Sent Events.
struct ChangesController {
    let store: any Store
    let stream: ChangeStream

    func addRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let store = store, stream = stream
        router.route(.get, "/api/v1/changes", in: table) { request, _ in
            let parsed = try ChangeRequest(request)
            // Without `since`, from the oldest change retention kept.
            var after = parsed.after
            if after == nil { after = ChangePosition(revision: try await store.changeHorizon()) }
            let page = try await store.changes(parsed.query(after: after!))
            return .json(bytes: Self.body(page))
        }
        router.route(.get, "/api/v1/changes/stream", in: table) { request, _ in
            try await stream.response(ChangeRequest(request, lastEventIdHeader: true))
        }
    }

    /// `{"items": [...], "next_since": N, "next_cursor": "N:seq" | null}`; each item is a change as `Change.write(to:)`
    /// writes it.
    static func body(_ page: ChangePage) -> [UInt8] {
        var json = JSONWriter()
        json.object { json in
            json.field("items") { json in
                json.array { json in for change in page.items { change.write(to: &json) } }
            }
            json.field("next_cursor") { $0.stringOrNull(page.nextCursor?.description) }
            json.field("next_since") { $0.int(page.nextSince) }
        }
        return json.bytes
    }
}
