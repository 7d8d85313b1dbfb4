/// Resolves a bearer credential to an identity.
public struct Authenticator: Sendable {
    let directory: any DirectoryStore

    public init(directory: any DirectoryStore) {
        self.directory = directory
    }

    /// The identity behind `bearer`, or nil when it matches no live key or token.
    public func identity(bearer: String) throws -> Identity? {
        if bearer.hasPrefix(APIKeySecret.prefix) {
            guard let key = try directory.apiKey(hash: APIKeySecret(key: bearer).hash) else { return nil }
            return .apiKey(id: key.id, scopes: Set(key.scopes))
        }
        if bearer.hasPrefix(UserTokenSecret.prefix) {
            guard let user = try directory.tokenUser(hash: UserTokenSecret(token: bearer).hash, now: Timestamp.nowMilliseconds() / 1000)
            else { return nil }
            return .user(id: user.userId, isAdmin: user.isAdmin)
        }
        return nil
    }
}
