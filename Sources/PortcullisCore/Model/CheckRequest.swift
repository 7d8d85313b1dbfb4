/// One authorization question: may `userId` perform `action` on the resource?
public struct CheckRequest: Sendable, Equatable {
    /// The user the question is about (not necessarily the caller: an `authz` API key asks about anyone).
    public var userId: String
    /// What the user wants to do; one of `resourceType.actions`.
    public var action: Action
    /// The kind of resource `resourceId` names.
    public var resourceType: ResourceType
    /// The resource's id.
    public var resourceId: String
    /// Whether to record every rule reached (`Decision.explanation`); an explained check bypasses the decision cache.
    public var explain: Bool

    /// A question built in code. It is not validated: `action(_:for:field:)` and `init(_:)` are where input is checked.
    ///
    /// ```swift
    /// let request = CheckRequest(userId: "u1", action: .download, resourceType: .generation, resourceId: "g42")
    /// let decision = try engine.check(request)
    /// ```
    public init(userId: String, action: Action, resourceType: ResourceType, resourceId: String, explain: Bool = false) {
        self.userId = userId
        self.action = action
        self.resourceType = resourceType
        self.resourceId = resourceId
        self.explain = explain
    }

    /// Reads `{user_id, action, resource_type, resource_id, explain?}`; an action foreign to the type is an error naming `action`.
    public init(_ fields: inout FieldReader) throws(PortcullisError) {
        userId = try fields.requiredID("user_id")
        resourceType = try fields.requiredEnumeration("resource_type", ResourceType.self)
        action = try Self.action(fields.requiredString("action"), for: resourceType)
        resourceId = try fields.requiredID("resource_id")
        explain = try fields.bool("explain") ?? false
        try fields.finish()
    }

    /// Parses an action name and checks that it belongs to `type`.
    public static func action(_ name: String, for type: ResourceType, field: String = "action") throws(PortcullisError) -> Action {
        guard let action = Action(rawValue: name) else {
            throw .invalidField(field, "unknown action '\(name)'; one of \(Action.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard type.actions.contains(action) else {
            throw .invalidField(field, "'\(name)' is not an action on a \(type.rawValue); one of \(type.actions.map(\.rawValue).joined(separator: ", "))")
        }
        return action
    }
}
