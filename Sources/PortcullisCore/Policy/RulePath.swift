import PortcullisModel

/// The rules a decision went through, compactly: up to eight `RuleStep`s packed in one integer, plus the few facts
/// their sentences name (the membership's role, the project's visibility, the team when the user is its member).
///
/// `Policy` records it for every decision at the cost of a few integer operations — no strings — so the explanation of
/// any answer, cached or not, can be rendered later exactly as `explain` would have returned it when it was decided:
/// the cache keeps the path with the answer, and the decision log stores it.
///
/// ```swift
/// let decision = Policy.decide(user: user, action: .read, generation: facts, userId: "u1", revision: 7, explain: false)
/// decision.rulePath.explanation(action: .read, resourceType: "generation")   // [RuleOutcome], as `explain` gives it
/// ```
public struct RulePath: Sendable, Hashable {
    /// The steps, the first in the low byte; a zero byte ends them.
    public private(set) var packed: UInt64 = 0
    /// The role of the user's membership, when a step names it.
    public var role: TeamRole?
    /// The project's visibility, when a step names it.
    public var visibility: Visibility?
    /// The team a step names (only ever a team the user is a member of).
    public var teamId: String?
    /// The time bound a step names (Unix milliseconds): when the membership starts, or when it expired.
    public var bound: Int64?

    /// An empty path.
    public init() {}

    /// A path of `steps`, for tests and for answers decided without `Policy` (a concealed one).
    public init(_ steps: [RuleStep], role: TeamRole? = nil, visibility: Visibility? = nil, teamId: String? = nil, bound: Int64? = nil) {
        for step in steps { append(step) }
        self.role = role
        self.visibility = visibility
        self.teamId = teamId
        self.bound = bound
    }

    /// The most steps a path holds: the eight rules of the evaluation order.
    public static let capacity = 8

    /// Records the next step; a path never holds more than `capacity` (the evaluation order has eight rules).
    public mutating func append(_ step: RuleStep) {
        let count = self.count
        guard count < Self.capacity else { return }
        packed |= UInt64(step.rawValue) << UInt64(count * 8)
    }

    /// How many steps the path holds.
    public var count: Int {
        packed == 0 ? 0 : (64 - packed.leadingZeroBitCount + 7) / 8
    }

    /// The steps in order.
    public var steps: [RuleStep] {
        (0..<count).compactMap { RuleStep(rawValue: UInt8(truncatingIfNeeded: packed >> UInt64($0 * 8))) }
    }

    /// The explanation array of SPEC section 4 for a decision about `action` on a resource of `resourceType`.
    public func explanation(action: Action, resourceType: String) -> [RuleOutcome] {
        steps.map { RuleOutcome(rule: $0.rule, outcome: $0.outcome, detail: $0.detail(self, action: action, resourceType: resourceType)) }
    }

    // MARK: Text form

    /// The path as short text for cache payloads and the decision log: one letter per step, `.`, a letter for the role
    /// and one for the visibility (`-` for none), then the team id, then `@` and the time bound when a step names one
    /// (ids cannot contain `@`). An owner's path is `BEGH.--`.
    public var encoded: String {
        let count = self.count, team = teamId?.utf8
        // One allocation at most (none up to 15 bytes), no per-character appends: it runs for every cached answer and
        // every logged one.
        let plain = String(unsafeUninitializedCapacity: count + 3 + (team?.count ?? 0)) { buffer in
            for index in 0..<count { buffer[index] = UInt8(truncatingIfNeeded: packed >> UInt64(index * 8)) + 64 }
            buffer[count] = UInt8(ascii: ".")
            buffer[count + 1] = Self.letter(role)
            buffer[count + 2] = Self.letter(visibility)
            var end = count + 3
            if let team {
                for byte in team {
                    buffer[end] = byte
                    end += 1
                }
            }
            return end
        }
        guard let bound else { return plain }
        return plain + "@" + String(bound)
    }

    /// Reads `encoded` back; nil for text it did not write. Byte by byte, without dictionaries: a cached answer is
    /// decoded on every hit.
    public init?(encoded text: Substring) {
        var text = text
        guard let path = text.withUTF8({ Self(encoded: $0) }) else { return nil }
        self = path
    }

    /// Reads the UTF-8 of `encoded` back, with integer indices into contiguous bytes (no `String.Index` steps).
    public init?(encoded bytes: UnsafeBufferPointer<UInt8>) {
        var index = 0
        while index < bytes.count, bytes[index] != UInt8(ascii: ".") {
            guard count < Self.capacity, bytes[index] > 64, let step = RuleStep(rawValue: bytes[index] - 64) else { return nil }
            append(step)
            index += 1
        }
        guard index + 2 < bytes.count else { return nil }
        switch bytes[index + 1] {
        case UInt8(ascii: "o"): role = .owner
        case UInt8(ascii: "a"): role = .admin
        case UInt8(ascii: "e"): role = .editor
        case UInt8(ascii: "v"): role = .viewer
        case UInt8(ascii: "-"): role = nil
        default: return nil
        }
        switch bytes[index + 2] {
        case UInt8(ascii: "p"): visibility = .private
        case UInt8(ascii: "t"): visibility = .team
        case UInt8(ascii: "u"): visibility = .public
        case UInt8(ascii: "-"): visibility = nil
        default: return nil
        }
        var rest = UnsafeBufferPointer(rebasing: bytes[(index + 3)...])
        if let at = rest.lastIndex(of: UInt8(ascii: "@")) {
            guard let bound = Int64(String(decoding: UnsafeBufferPointer(rebasing: rest[(at + 1)...]), as: UTF8.self)) else { return nil }
            self.bound = bound
            rest = UnsafeBufferPointer(rebasing: rest[..<at])
        }
        teamId = rest.isEmpty ? nil : String(decoding: rest, as: UTF8.self)
    }

    private static func letter(_ role: TeamRole?) -> UInt8 {
        switch role {
        case .owner: UInt8(ascii: "o")
        case .admin: UInt8(ascii: "a")
        case .editor: UInt8(ascii: "e")
        case .viewer: UInt8(ascii: "v")
        case nil: UInt8(ascii: "-")
        }
    }

    private static func letter(_ visibility: Visibility?) -> UInt8 {
        switch visibility {
        case .private: UInt8(ascii: "p")
        case .team: UInt8(ascii: "t")
        case .public: UInt8(ascii: "u")
        case nil: UInt8(ascii: "-")
        }
    }
}
