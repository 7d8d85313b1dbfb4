/// Answers authorization questions from one consistent snapshot per question (or per batch).
///
/// ```swift
/// let engine = AuthorizationEngine(store: store)
/// let decision = try engine.check(CheckRequest(userId: "u1", action: .read, resourceType: .generation, resourceId: "g1"))
/// ```
public struct AuthorizationEngine: Sendable {
    public let store: any AuthorizationStore

    public init(store: any AuthorizationStore) {
        self.store = store
    }

    /// Decides one request.
    public func check(_ request: CheckRequest) throws -> Decision {
        try store.withSnapshot { snapshot in try Self.decide(request, in: snapshot, revision: snapshot.revision()) }
    }

    /// Decides every request against the same snapshot, in order.
    public func check(batch requests: [CheckRequest]) throws -> [Decision] {
        guard !requests.isEmpty else { return [] }
        return try store.withSnapshot { snapshot in
            let revision = try snapshot.revision()
            return try requests.map { request in try Self.decide(request, in: snapshot, revision: revision) }
        }
    }

    /// One page of the ids of resources of `type` the user may act on; consistent with `check`.
    public func resources(userId: String, type: ResourceType, action: Action, page: PageRequest) throws -> (page: Page<String>, revision: Int64) {
        try store.withSnapshot { snapshot in
            (try snapshot.resources(userId: userId, type: type, action: action, page: page), try snapshot.revision())
        }
    }

    /// One page of the ids of users who may act on the resource; throws `not_found` when it is absent.
    public func subjects(type: ResourceType, id: String, action: Action, page: PageRequest) throws -> (page: Page<String>, revision: Int64) {
        try store.withSnapshot { snapshot in
            guard let subjects = try snapshot.subjects(type: type, id: id, action: action, page: page) else {
                throw PortcullisError.notFound(type.rawValue, id)
            }
            return (subjects, try snapshot.revision())
        }
    }

    static func decide(_ request: CheckRequest, in snapshot: any AuthorizationSnapshot, revision: Int64) throws -> Decision {
        let user = try snapshot.subject(request.userId)
        // An inactive user is denied before the resource is looked at (rule 1).
        let active = user?.isActive == true
        switch request.resourceType {
        case .generation:
            let facts = active ? try snapshot.generation(request.resourceId, userId: request.userId, action: request.action) : nil
            return Policy.decide(user: user, action: request.action, generation: facts, userId: request.userId, revision: revision,
                                 explain: request.explain)
        case .project:
            let facts = active ? try snapshot.project(request.resourceId, userId: request.userId, action: request.action) : nil
            return Policy.decide(user: user, action: request.action, project: facts, userId: request.userId, revision: revision,
                                 explain: request.explain)
        case .team:
            let facts = active ? try snapshot.team(request.resourceId, userId: request.userId, action: request.action) : nil
            return Policy.decide(user: user, action: request.action, team: facts, revision: revision, explain: request.explain)
        }
    }
}
