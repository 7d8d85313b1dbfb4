import PortcullisModel
import PortcullisPolicy

/// `resources` and `subjects` by brute force: every candidate resource (or user) is decided by `Policy` on facts read
/// from the snapshot, exactly as `check` decides it. Nothing here restates the rules, so these listings are an
/// independent oracle for the SQL backend's (`ListingQueries`), which read the rules backwards.
///
/// Order and cursors follow the SQL backend, so pages line up item for item: ids in `BINARY` order with the last id
/// as cursor, except a non-administrator's generations, which come as their own first, then other users' project by
/// project (project id order, then generation id), with the cursor `(phase, project, last id)`.
extension MemorySnapshot {
    func resources(userId: String, type: ResourceType, action: Action, now: Int64, page: PageRequest) throws -> Page<String> {
        guard let user = subject(userId), user.isActive else {
            _ = try Cursor.decode(page.cursor, parts: type == .generation ? 3 : 1)
            return Page(items: [], nextCursor: nil)
        }
        var listed: [(position: [String], id: String)] = []
        switch type {
        case .generation:
            for id in state.generations.keys {
                let facts = generation(id, userId: userId, action: action)
                guard Policy.decide(user: user, action: action, generation: facts, userId: userId, now: now, revision: state.revision, explain: false).allowed,
                      let facts
                else { continue }
                if user.isAdmin {
                    listed.append(([id], id))
                } else if facts.ownerId == userId {
                    listed.append((["owned", "", id], id))
                } else {
                    listed.append((["shared", facts.projectId ?? "", id], id))
                }
            }
            return try Self.page(listed, parts: user.isAdmin ? 1 : 3, page)
        case .project:
            for id in state.projects.keys {
                let facts = project(id, userId: userId, action: action)
                if Policy.decide(user: user, action: action, project: facts, userId: userId, now: now, revision: state.revision, explain: false).allowed {
                    listed.append(([id], id))
                }
            }
        case .team:
            for id in state.teams.keys {
                let facts = team(id, userId: userId, action: action)
                if Policy.decide(user: user, action: action, team: facts, now: now, revision: state.revision, explain: false).allowed {
                    listed.append(([id], id))
                }
            }
        }
        return try Self.page(listed, parts: 1, page)
    }

    func subjects(type: ResourceType, id: String, action: Action, now: Int64, page: PageRequest) throws -> Page<String>? {
        // A resource exists exactly when an active administrator is not told `not_found`.
        guard decide(SubjectFacts(isAdmin: true, isActive: true), userId: "", type: type, id: id, action: action, now: now).reason != .notFound else {
            return nil
        }
        let allowed = state.users.keys.filter { userId in
            decide(subject(userId), userId: userId, type: type, id: id, action: action, now: now).allowed
        }
        return try Self.page(allowed.map { ([$0], $0) }, parts: 1, page)
    }

    private func decide(_ user: SubjectFacts?, userId: String, type: ResourceType, id: String, action: Action, now: Int64) -> Decision {
        switch type {
        case .generation:
            Policy.decide(user: user, action: action, generation: generation(id, userId: userId, action: action), userId: userId,
                          now: now, revision: state.revision, explain: false)
        case .project:
            Policy.decide(user: user, action: action, project: project(id, userId: userId, action: action), userId: userId,
                          now: now, revision: state.revision, explain: false)
        case .team:
            Policy.decide(user: user, action: action, team: team(id, userId: userId, action: action), now: now, revision: state.revision, explain: false)
        }
    }

    /// The items after the cursor's position, in position order (each part compared in `BINARY` order), one page of
    /// them, and the position of the last as the next cursor when more follow.
    private static func page(_ listed: [(position: [String], id: String)], parts: Int, _ request: PageRequest) throws -> Page<String> {
        let after = try Cursor.decode(request.cursor, parts: parts)
        if let after, parts == 3, after[0] != "owned" && after[0] != "shared" {
            throw PortcullisError.invalidField("cursor", "is not a cursor this server issued")
        }
        let sorted = listed
            .filter { after == nil || precedes(after!, $0.position) }
            .sorted { precedes($0.position, $1.position) }
        let kept = sorted.prefix(max(0, request.limit))
        let next = sorted.count > kept.count ? kept.last.map { Cursor.encode($0.position) } : nil
        return Page(items: kept.map(\.id), nextCursor: next)
    }

    private static func precedes(_ left: [String], _ right: [String]) -> Bool {
        left.lexicographicallyPrecedes(right, by: MemoryState.precedes)
    }
}
