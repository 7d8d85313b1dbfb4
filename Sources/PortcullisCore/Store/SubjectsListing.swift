import PortcullisModel
import PortcullisPolicy

/// Which users a `subjects` listing names, decided from the resource's facts once for every SQL backend: each backend
/// only turns the answer into its own query (`ListingQueries`, `PostgresListingQueries`).
public enum SubjectsListing {
    /// Every active user: the resource is in a public project and the action is one public access grants.
    case activeUsers
    /// The users `grantedUsers` finds: the resource's and its project's owners (when `includeOwners`), and the members
    /// of `team` whose role or extra permissions grant the action on `type`.
    case granted(resourceOwner: String?, projectOwner: String?, team: String?, type: ResourceType, includeOwners: Bool)

    /// The listing for `action` on resource `type`/`id` as `snapshot` sees it; nil when the resource is absent or
    /// deleted (a 404).
    public init?(type: ResourceType, id: String, action: Action, in snapshot: some AuthorizationSnapshot) throws {
        let publicActions: Set<Action>
        let resourceOwner: String?
        let project: ProjectFacts?
        switch type {
        case .generation:
            guard let generation = try snapshot.generation(id, userId: "", action: action), !generation.isDeleted,
                  generation.project?.isDeleted != true
            else { return nil }
            resourceOwner = generation.ownerId
            project = generation.project
            publicActions = [.read, .download]
        case .project:
            guard let facts = try snapshot.project(id, userId: "", action: action), !facts.isDeleted else { return nil }
            resourceOwner = nil
            project = facts
            publicActions = [.read]
        case .team:
            guard let team = try snapshot.team(id, userId: "", action: action), !team.isDeleted else { return nil }
            self = .granted(resourceOwner: nil, projectOwner: nil, team: id, type: .team, includeOwners: false)
            return
        }
        if let project, project.visibility == .public, publicActions.contains(action) {
            self = .activeUsers
            return
        }
        let grantingTeam = project.flatMap { $0.visibility != .private && !$0.teamIsDeleted ? $0.teamId : nil }
        self = .granted(resourceOwner: resourceOwner, projectOwner: project?.ownerId, team: grantingTeam, type: type, includeOwners: true)
    }
}
