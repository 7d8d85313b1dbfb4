/// The kinds of resource a decision is about.
public enum ResourceType: String, Sendable, Codable, CaseIterable {
    /// A generation (a piece of media), a project (a container of generations) or a team (a group of users).
    case generation, project, team

    /// The actions that belong to this resource type.
    public var actions: [Action] {
        switch self {
        case .generation: [.read, .update, .delete, .download]
        case .project: [.read, .update, .delete, .createGeneration]
        case .team: [.read, .manageMembers]
        }
    }
}

/// Everything a user may be allowed to do to a resource.
public enum Action: String, Sendable, Codable, CaseIterable {
    /// Reading, changing, deleting a resource, and fetching a generation's media (signed media URLs ask for `download`).
    case read, update, delete, download
    /// Creating a generation inside a project (an action on the project).
    case createGeneration = "create_generation"
    /// Adding, changing and removing a team's memberships (an action on the team).
    case manageMembers = "manage_members"

    /// Actions a membership may list as extra permissions: those of generations and projects.
    public static let grantable: Set<Action> = Set(ResourceType.generation.actions + ResourceType.project.actions)
}
