import HTTPTypes
import Hummingbird
import PortcullisCore

/// `GET|PATCH|DELETE /api/v1/generations/{id}`: management for administrators, end-user access for signed-in users.
///
/// A user sees a generation only if they may `read` it: otherwise the answer is the same 404 as for an absent one,
/// so existence does not leak. A readable generation the user may not update or delete is a 403. End users may change
/// `status` and move a generation between projects (with `delete` on it and `create_generation` on the target); only
/// administrators set `media_key`, since a key names a file that media URLs hand out.
struct GenerationsController {
    let directory: any GenerationStore
    let engine: AuthorizationEngine

    func addRoutes(to router: some RouterMethods<AppRequestContext>, table: RouteTable) {
        let controller = self
        router.route(.get, "/api/v1/generations/{id}", in: table) { _, context in
            let id = try context.id("id")
            if try context.requireIdentity().isAdmin { return try .json(try await controller.directory.generation(id)) }
            let user = try context.requireUser()
            try controller.requireReadable(id, user: user.id)
            return try .json(try await controller.directory.generation(id))
        }
        router.route(.patch, "/api/v1/generations/{id}", in: table) { request, context in
            let id = try context.id("id")
            let identity = try context.requireIdentity()
            var request = request
            var fields = try await request.jsonFields(context: context)
            if identity.isAdmin {
                let patch = try GenerationPatch(&fields)
                try fields.finish()
                let written = try await controller.directory.updateGeneration(id, patch)
                return try .json(written.value, revision: written.revision)
            }
            let user = try context.requireUser()
            try controller.requireReadable(id, user: user.id)
            let patch = try GenerationPatch(&fields, endUser: true)
            try fields.finish()
            try controller.require(.update, on: id, user: user.id)
            if case .some(let target) = patch.projectId, target != (try await controller.directory.generation(id)).projectId {
                try controller.requireMove(id, to: target, user: user.id)
            }
            let written = try await controller.directory.updateGeneration(id, patch)
            return try .json(written.value, revision: written.revision)
        }
        router.route(.delete, "/api/v1/generations/{id}", in: table) { _, context in
            let id = try context.id("id")
            if try context.requireIdentity().isAdmin { return .noContent(revision: try await controller.directory.deleteGeneration(id)) }
            let user = try context.requireUser()
            try controller.requireReadable(id, user: user.id)
            try controller.require(.delete, on: id, user: user.id)
            return .noContent(revision: try await controller.directory.deleteGeneration(id))
        }
    }

    /// 404 — identical to an absent generation — unless the user may read it.
    func requireReadable(_ id: String, user: String) throws {
        guard try engine.check(CheckRequest(userId: user, action: .read, resourceType: .generation, resourceId: id)).allowed else {
            throw PortcullisError.notFound("generation", id)
        }
    }

    /// Moving a generation takes it out of one audience and into another, so it needs `delete` here and
    /// `create_generation` on the target project (SPEC 8.1): an editor cannot widen who sees a colleague's work.
    func requireMove(_ id: String, to target: String?, user: String) throws {
        try require(.delete, on: id, user: user)
        guard let target else { return }
        let decision = try engine.check(CheckRequest(userId: user, action: .createGeneration, resourceType: .project, resourceId: target))
        guard decision.allowed else {
            throw PortcullisError(.forbidden, "you may not add generations to project '\(target)'")
        }
    }

    /// 403 unless the user may perform `action` (call after `requireReadable`).
    func require(_ action: Action, on id: String, user: String) throws {
        guard try engine.check(CheckRequest(userId: user, action: action, resourceType: .generation, resourceId: id)).allowed else {
            throw PortcullisError(.forbidden, "you may not \(action.rawValue) generation '\(id)'")
        }
    }
}
