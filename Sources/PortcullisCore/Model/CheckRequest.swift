/// One authorization question: may `userId` perform `action` on the resource?
public struct CheckRequest: Sendable, Equatable {
    public var userId: String
    public var action: Action
    public var resourceType: ResourceType
    public var resourceId: String
    public var explain: Bool

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
