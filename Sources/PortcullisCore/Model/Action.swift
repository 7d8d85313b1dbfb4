/// The kinds of resource a decision is about.
public enum ResourceType: String, Sendable, Codable, CaseIterable {
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
    case read, update, delete, download
    case createGeneration = "create_generation"
    case manageMembers = "manage_members"

    /// Actions a membership may list as extra permissions: those of generations and projects.
    public static let grantable: Set<Action> = Set(ResourceType.generation.actions + ResourceType.project.actions)
}
