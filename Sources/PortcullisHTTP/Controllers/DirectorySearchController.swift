import HTTPTypes
import Hummingbird
import PortcullisCore

/// What the admin console reads beside the management lists, in the administrators' group: a user's memberships
/// (`GET /api/v1/users/{id}/memberships`) and what a visibility change would do
/// (`GET /api/v1/projects/{id}/visibility-preview?visibility=`). Nothing here writes.
struct DirectorySearchController {
    let directory: any DirectorySearch
    /// The instant memberships' time bounds are judged at.
    let clock: WallClock

    func addRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let directory = directory, clock = clock
        router.route(.get, "/api/v1/users/{id}/memberships", in: table) { _, context in
            let id = try context.id("id")
            let now = clock.milliseconds()
            let items = try await directory.memberships(userId: id).map { MembershipState(member: $0, now: now) }
            return try .json(["items": items])
        }
        router.route(.get, "/api/v1/projects/{id}/visibility-preview", in: table) { request, context in
            let id = try context.id("id")
            let raw = try request.query("visibility")
            guard let visibility = Visibility(rawValue: raw) else {
                throw PortcullisError.invalidField("visibility", "must be one of \(Visibility.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return try .json(try await directory.visibilityPreview(projectId: id, to: visibility, now: clock.milliseconds()))
        }
    }

    /// A membership with whether it grants now: `in_effect`, `pending` (before `starts_at`) or `expired` (at or after
    /// `expires_at`); an inactive membership is `inactive` whatever its bounds.
    struct MembershipState: Encodable {
        var member: TeamMember
        var state: String

        init(member: TeamMember, now: Int64) {
            self.member = member
            if !member.isActive {
                state = "inactive"
            } else if let start = member.startsAt.flatMap(Timestamp.epochMilliseconds), start > now {
                state = "pending"
            } else if let end = member.expiresAt.flatMap(Timestamp.epochMilliseconds), end <= now {
                state = "expired"
            } else {
                state = "in_effect"
            }
        }

        func encode(to encoder: any Encoder) throws {
            try member.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(state, forKey: .state)
        }

        enum CodingKeys: String, CodingKey { case state }
    }
}
