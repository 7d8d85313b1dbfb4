import HTTPTypes
import Hummingbird
import PortcullisCore

/// `POST|GET /api/v1/api-keys` and `DELETE /api/v1/api-keys/{id}`, in the administrators' group. Secrets appear once,
/// at creation.
struct APIKeysController {
    let directory: any APIKeyStore
    /// A key's `expires_at` must lie ahead of it.
    var clock: WallClock = .system

    func addRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let directory = directory, clock = clock
        router.route(.post, "/api/v1/api-keys", in: table) { request, context in
            var request = request
            var fields = try await request.jsonFields(context: context)
            let name = try fields.requiredText("name", maxLength: 256)
            let scopes = try fields.enumerationList("scopes", APIKeyScope.self) ?? [.authz]
            let expiresAt = try Validate.instant(fields.string("expires_at"), field: "expires_at")
            try fields.finish()
            guard !scopes.isEmpty else { throw PortcullisError.invalidField("scopes", "must name at least one scope") }
            if let expiresAt, expiresAt <= clock.milliseconds() { throw PortcullisError.invalidField("expires_at", "must lie in the future") }
            let secret = APIKeySecret.generate()
            let written = try await directory.createAPIKey(name: name, scopes: scopes, secret: secret, source: .api, expiresAt: expiresAt)
            var response = try Response.json(CreatedKey(key: written.value, secret: secret.key), status: .created, revision: written.revision)
            response.headers[.cacheControl] = "no-store"
            return response
        }
        router.route(.get, "/api/v1/api-keys", in: table) { _, context in
            return try .json(["items": try await directory.apiKeys()])
        }
        router.route(.delete, "/api/v1/api-keys/{id}", in: table) { _, context in
            return .noContent(revision: try await directory.deleteAPIKey(context.id("id")))
        }
    }

    /// The only time a key's secret is shown.
    struct CreatedKey: Encodable {
        var key: APIKey
        var secret: String

        enum CodingKeys: String, CodingKey { case id, key, name, scopes, createdAt = "created_at", source, expiresAt = "expires_at" }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(key.id, forKey: .id)
            try container.encode(secret, forKey: .key)
            try container.encode(key.name, forKey: .name)
            try container.encode(key.scopes, forKey: .scopes)
            try container.encode(key.createdAt, forKey: .createdAt)
            try container.encode(key.source, forKey: .source)
            try container.encode(key.expiresAt, forKey: .expiresAt)
        }
    }
}
