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
    /// What-if (SPEC 8.3, administrators only): the instant, Unix milliseconds, at which time bounds are evaluated
    /// against today's data, instead of now. Such a check bypasses the decision cache.
    public var asOf: Int64?
    /// How current the answer must be (SPEC 8.4); `.full` by default.
    public var consistency: Consistency = .full

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

    /// Reads `{user_id, action, resource_type, resource_id, explain?, as_of?, consistency?}`; an action foreign to the type
    /// is an error naming `action`. Whether `as_of` is allowed (administrators) and in range is for the caller and the
    /// engine to check.
    public init(_ fields: inout FieldReader) throws(PortcullisError) {
        userId = try fields.requiredID("user_id")
        resourceType = try fields.requiredEnumeration("resource_type", ResourceType.self)
        action = try Self.action(fields.requiredString("action"), for: resourceType)
        resourceId = try fields.requiredID("resource_id")
        explain = try fields.bool("explain") ?? false
        asOf = try Validate.instant(fields.string("as_of"), field: "as_of")
        consistency = try Consistency(fields.value("consistency"))
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

/// How current a check's answer must be (SPEC 8.4): `"full"`, `{"at_least_revision": N}` or `"minimize_latency"`.
public enum Consistency: Sendable, Equatable {
    /// Reflects every write that returned before the check began (the default).
    case full
    /// Reflects at least revision N (e.g. the `X-Portcullis-Revision` of the caller's own write); a revision the data
    /// has not reached is a 400.
    case atLeastRevision(Int64)
    /// May lag by at most `cache.max_staleness_ms`; the answer then says `"consistency": "bounded"`.
    case minimizeLatency

    /// Reads the field's value; nil (absent or null) is `.full`.
    public init(_ value: JSONValue?) throws(PortcullisError) {
        switch value {
        case nil, .null?, .string("full")?: self = .full
        case .string("minimize_latency")?: self = .minimizeLatency
        case .object(let object)? where object.count == 1:
            guard case .number(let number)? = object["at_least_revision"], number.rounded() == number, number >= 0,
                  number <= 9_007_199_254_740_991
            else { throw .invalidField("consistency", "at_least_revision must be a revision number (an integer ≥ 0)") }
            self = .atLeastRevision(Int64(number))
        default:
            throw .invalidField("consistency", #"must be "full", "minimize_latency" or {"at_least_revision": N}"#)
        }
    }

    /// The revision the answer must reflect at least, if the caller named one.
    public var leastRevision: Int64? {
        if case .atLeastRevision(let revision) = self { return revision }
        return nil
    }
}
