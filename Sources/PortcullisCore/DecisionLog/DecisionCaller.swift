import PortcullisModel

/// Who asked for a logged decision, shaped like a change's `actor`: `{kind: api_key|user|cli|system, id}`.
public struct DecisionCaller: Sendable, Hashable, Codable {
    /// The kinds of caller.
    public enum Kind: String, Sendable, Codable {
        /// A service with an API key, a signed-in user, an offline command, Portcullis itself.
        case apiKey = "api_key", user, cli, system
    }

    /// What kind of caller.
    public var kind: Kind
    /// The API key's or user's id; nil for `cli` and `system`.
    public var id: String?

    /// A caller of `kind` with `id`.
    public init(kind: Kind, id: String?) {
        self.kind = kind
        self.id = id
    }

    /// The caller behind a request's credential.
    public init(_ identity: Identity) {
        switch identity {
        case .apiKey(let id, _): self.init(kind: .apiKey, id: id)
        case .user(let id, _): self.init(kind: .user, id: id)
        }
    }
}
