import HTTPTypes
import Hummingbird
import PortcullisCore

/// The media URL signing keys, in the administrators' group: `GET /api/v1/signing-keys`, `POST /api/v1/signing-keys`
/// (rotate: a new active key) and `POST /api/v1/signing-keys/{id}/retire`. The same keys `portcullis keys` edits (the
/// data directory's file, or the database on PostgreSQL); no secret is ever sent. The keys are not data decisions
/// read, so these writes carry no revision.
struct SigningKeysController {
    let keyring: SigningKeyring

    func addRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let keyring = keyring
        router.route(.get, "/api/v1/signing-keys", in: table) { _, _ in
            let contents = try keyring.contents()
            return try .json(KeyList(active: contents.active, items: contents.keys.map { KeyInfo($0, active: contents.active) }))
        }
        router.route(.post, "/api/v1/signing-keys", in: table) { request, context in
            var request = request
            try await request.emptyObject(context: context)
            let key = try keyring.rotate()
            return try .json(KeyInfo(key, active: key.kid), status: .created)
        }
        router.route(.post, "/api/v1/signing-keys/{id}/retire", in: table) { request, context in
            let kid = try context.id("id")
            var request = request
            try await request.emptyObject(context: context)
            let key = try keyring.retire(kid: kid)
            return try .json(KeyInfo(key, active: try keyring.contents().active))
        }
    }

    /// A key without its secret.
    struct KeyInfo: Encodable {
        var kid: String
        var createdAt: String
        var retired: Bool
        var active: Bool

        init(_ key: SigningKeyring.Key, active: String) {
            kid = key.kid
            createdAt = key.createdAt
            retired = key.retired
            self.active = key.kid == active
        }

        enum CodingKeys: String, CodingKey { case kid, createdAt = "created_at", retired, active }
    }

    struct KeyList: Encodable {
        var active: String
        var items: [KeyInfo]
    }
}
