import PortcullisModel

/// What a project list is narrowed to; a nil field does not narrow.
public struct ProjectFilter: Sendable, Equatable {
    /// Only projects this user owns.
    public var ownerId: String?
    /// Only projects shared with this team.
    public var teamId: String?

    /// A filter; both nil lists every live project.
    public init(ownerId: String? = nil, teamId: String? = nil) {
        self.ownerId = ownerId
        self.teamId = teamId
    }

    /// Whether the filter narrows anything.
    public var isEmpty: Bool { ownerId == nil && teamId == nil }
}

/// What a generation list is narrowed to; a nil field does not narrow.
public struct GenerationFilter: Sendable, Equatable {
    /// Only generations this user owns.
    public var ownerId: String?
    /// Only generations in this project.
    public var projectId: String?
    /// Only generations in live projects shared with this team.
    public var teamId: String?

    /// A filter; all nil lists every live generation.
    public init(ownerId: String? = nil, projectId: String? = nil, teamId: String? = nil) {
        self.ownerId = ownerId
        self.projectId = projectId
        self.teamId = teamId
    }

    /// Whether the filter narrows anything.
    public var isEmpty: Bool { ownerId == nil && projectId == nil && teamId == nil }
}

/// How many generations of a project would change audience if its visibility changed, counted before the change is
/// made (the console shows it in the confirmation).
///
/// A generation's audience is who may read it: administrators and the owners always; with `team` or `public`, the
/// members of the project's live team whose membership is in effect and grants `read`; with `public`, every active user.
/// Between `private` and `team` a generation changes audience when some such member is not already in it (not its owner,
/// not the project's owner, not an administrator); to or from `public`, every generation changes audience.
public struct VisibilityPreview: Sendable, Equatable, Encodable {
    /// The project.
    public var projectId: String
    /// Its visibility now.
    public var visibility: Visibility
    /// The visibility asked about.
    public var proposedVisibility: Visibility
    /// Its live generations.
    public var generations: Int
    /// Those whose audience the change would widen or narrow.
    public var changedGenerations: Int

    /// A preview as a backend computes it.
    public init(projectId: String, visibility: Visibility, proposedVisibility: Visibility, generations: Int, changedGenerations: Int) {
        self.projectId = projectId
        self.visibility = visibility
        self.proposedVisibility = proposedVisibility
        self.generations = generations
        self.changedGenerations = changedGenerations
    }

    enum CodingKeys: String, CodingKey {
        case projectId = "project_id", visibility, proposedVisibility = "proposed_visibility", generations, changedGenerations = "changed_generations"
    }
}

/// The administrators' finding aids: users by id or email prefix, teams by id or name prefix, projects and generations by owner, team or project,
/// a user's memberships, and what a visibility change would do. Every read is index-driven on SQLite
/// (`QueryPlanTests`).
///
/// ```swift
/// let page = try await store.users(matching: "ali", PageRequest(limit: 20))     // ids and emails starting "ali"
/// let teams = try await store.teams(matching: "Des", PageRequest())             // ids starting "Des", names "des…"/"DES…"
/// let shared = try await store.projects(ProjectFilter(teamId: "t1"), PageRequest())
/// let preview = try await store.visibilityPreview(projectId: "p1", to: .public, now: clock.milliseconds())
/// ```
public protocol DirectorySearch: Sendable {
    /// Live users whose id starts with `prefix` (exactly), or whose stored email starts with it lowercased, in id order.
    func users(matching prefix: String, _ page: PageRequest) async throws -> Page<User>
    /// Live teams whose id starts with `prefix` (exactly), or whose name starts with it with ASCII letters compared
    /// case-insensitively (other characters exactly), in id order.
    func teams(matching prefix: String, _ page: PageRequest) async throws -> Page<Team>
    /// Live projects matching every field of the filter, in id order.
    func projects(_ filter: ProjectFilter, _ page: PageRequest) async throws -> Page<Project>
    /// Live generations matching every field of the filter, in id order.
    func generations(_ filter: GenerationFilter, _ page: PageRequest) async throws -> Page<Generation>
    /// Every membership of a live user in live teams, inactive, pending and expired ones included, in team id order;
    /// `not_found` for a user that is not live.
    func memberships(userId: String) async throws -> [TeamMember]
    /// What changing a live project's visibility to `visibility` would do at `now` (Unix ms); `not_found` for a project
    /// that is not live.
    func visibilityPreview(projectId: String, to visibility: Visibility, now: Int64) async throws -> VisibilityPreview
}

/// The bounds of a prefix search: every string that starts with `prefix` lies in `prefix ..< upperBound` in UTF-8 byte
/// order (SQLite's `BINARY` collation), so an index range finds them.
public enum PrefixRange {
    /// The least string greater than every string starting with `prefix`; nil when there is none (every character is
    /// U+10FFFF), and then the range has no upper end.
    public static func upperBound(_ prefix: String) -> String? {
        var scalars = Array(prefix.unicodeScalars)
        while let last = scalars.popLast() {
            var next = last.value + 1
            if (0xD800...0xDFFF).contains(next) { next = 0xE000 }
            if let scalar = Unicode.Scalar(next) {
                scalars.append(scalar)
                var text = ""
                text.unicodeScalars.append(contentsOf: scalars)
                return text
            }
        }
        return nil
    }

    /// Whether `text` starts with `prefix`, compared as the index range does (bytes, not grapheme clusters).
    public static func matches(_ text: String, _ prefix: String) -> Bool {
        text.utf8.starts(with: prefix.utf8)
    }

    /// `text` with ASCII `A`–`Z` lowered and every other character kept: what SQLite's `lower()` does (without ICU),
    /// so a folded prefix and a `lower(name)` index agree byte for byte.
    public static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
