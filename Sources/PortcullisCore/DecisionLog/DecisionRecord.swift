import PortcullisModel
import PortcullisPolicy

/// A decision on its way to the log: what the request path hands over, kept as it was answered (strings are shared,
/// not copied; the rule path stays compact until the background writer stores it).
public struct DecisionRecord: Sendable {
    /// What was decided.
    public enum Subject: Sendable {
        /// An authorization check and its answer.
        case check(CheckRequest, Decision)
        /// A sign-in or sign-out.
        case account(AccountEvent)
    }

    /// The decision's id (and so its time).
    public var id: DecisionID
    /// The data revision the answer reflects.
    public var revision: Int64
    /// Who asked; nil for a sign-in attempt, which has no credential yet.
    public var caller: DecisionCaller?
    /// What was decided.
    public var subject: Subject

    /// A record of `subject`, decided as `id` at `revision`.
    public init(id: DecisionID, revision: Int64, caller: DecisionCaller?, subject: Subject) {
        self.id = id
        self.revision = revision
        self.caller = caller
        self.subject = subject
    }

    /// Whether the answer allowed.
    public var allowed: Bool {
        switch subject {
        case .check(_, let decision): decision.allowed
        case .account(let event): event.allowed
        }
    }
}

/// A sign-in (successful, failed or refused by throttling) or a sign-out, logged as `resource_type: "account"`.
public struct AccountEvent: Sendable, Equatable {
    /// `sign_in` or `sign_out`.
    public enum Action: String, Sendable {
        /// An attempt to sign in; a sign-out (of one token, or of all of a user's).
        case signIn = "sign_in", signOut = "sign_out"
    }

    /// What happened.
    public var action: Action
    /// The account: the user the email resolved to (nil when it matches none) or who signed out.
    public var userId: String?
    /// Whether it succeeded.
    public var allowed: Bool
    /// `signed_in`, `invalid_credentials`, `throttled`, `overloaded`, `signed_out`, `signed_out_everywhere`.
    public var reason: String
    /// The client's address (SPEC 8.1's: the peer, or the forwarded address behind a trusted proxy).
    public var clientAddress: String?

    /// An account event.
    public init(action: Action, userId: String?, allowed: Bool, reason: String, clientAddress: String?) {
        self.action = action
        self.userId = userId
        self.allowed = allowed
        self.reason = reason
        self.clientAddress = clientAddress
    }
}
