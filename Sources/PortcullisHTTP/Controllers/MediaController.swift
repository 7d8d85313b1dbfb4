import HTTPTypes
import Hummingbird
import PortcullisCore

/// Signed media URLs: `GET /api/v1/generations/{id}/media-url` (users allowed to `download`) and
/// `GET /api/v1/media/verify` (no credentials; for a reverse proxy's `auth_request`).
struct MediaController {
    let directory: any GenerationStore
    let engine: AuthorizationEngine
    let signer: MediaURLSigner
    let generations: GenerationsController
    let clock: WallClock
    /// Several nodes: `verify` (which no credential brought through the gate) waits for it itself.
    var gate: (any ConsistencyGate)? = nil

    func addRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let controller = self
        router.route(.get, "/api/v1/generations/{id}/media-url", in: table) { _, context in
            let id = try context.id("id")
            let user = try context.requireUser()
            try controller.generations.requireReadable(id, user: user.id)
            try controller.generations.require(.download, on: id, user: user.id)
            let generation = try await controller.directory.generation(id)
            guard let mediaKey = generation.mediaKey else {
                throw PortcullisError(.noMedia, "generation '\(id)' has no media yet")
            }
            let signed = try controller.signer.sign(mediaKey: mediaKey, userId: user.id, generationId: id, now: controller.clock.seconds())
            return try .json(["url": signed.url, "expires_at": Timestamp.format(epochMilliseconds: signed.expires * 1000)])
        }
        router.route(.get, "/api/v1/media/verify", in: table) { request, context in
            let grant: MediaGrant?
            if let original = request.headers[HTTPField.Name("X-Original-URI")!] {
                grant = MediaGrant(originalURI: original, basePath: controller.signer.basePath)
            } else {
                grant = MediaGrant(verifyQuery: request.uri.query ?? "")
            }
            try await controller.gate?.awaitCurrent(since: context.startedAt)
            if let rejection = try await controller.verify(grant) {
                throw PortcullisError(rejection.code, "the media URL is not valid: \(rejection.rawValue)")
            }
            return Response(status: .noContent)
        }
    }

    /// Signature and expiry first, then whether the user may still download this generation and it still has this media.
    func verify(_ grant: MediaGrant?) async throws -> MediaURLSigner.Rejection? {
        guard let grant else { return .malformed }
        if let rejection = signer.verifySignature(grant, now: clock.seconds()) { return rejection }
        let decision = try engine.check(CheckRequest(userId: grant.userId, action: .download, resourceType: .generation, resourceId: grant.generationId))
        guard decision.allowed else { return .revoked }
        guard (try? await directory.generation(grant.generationId))?.mediaKey == grant.mediaKey else { return .revoked }
        return nil
    }
}
