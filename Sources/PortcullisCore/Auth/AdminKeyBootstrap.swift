import PortcullisModel
import PortcullisCache
import PortcullisStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes sure an administrator can reach a new installation (SPEC section 4, credentials).
public enum AdminKeyBootstrap {
    /// What `run` did, for the start-up log.
    public enum Outcome: Sendable, Equatable {
        /// A new key was written to this file (mode 0600).
        case createdFile(String)
        /// The key from `PORTCULLIS_ADMIN_KEY` was registered, or was already.
        case fromEnvironment
        /// API keys exist already; nothing was done.
        case existing
    }

    /// The shortest secret `PORTCULLIS_ADMIN_KEY` may hold; any characters, no prefix (operators paste secrets from their
    /// own managers).
    public static let minimumEnvironmentKeyLength = 32

    /// With `environmentKey`, registers it as an admin key (no file is written) and retires the environment key of a
    /// previous start if it differs. Otherwise, on a database without API keys, creates one and writes it to
    /// `<dataDirectory>/admin.key` with mode 0600.
    public static func run(directory: any APIKeyStore, dataDirectory: String, environmentKey: String?) async throws -> Outcome {
        if let environmentKey {
            guard environmentKey.utf8.count >= minimumEnvironmentKeyLength, environmentKey.utf8.count <= APIKeySecret.maximumLength,
                  !environmentKey.unicodeScalars.contains(where: { $0.properties.isWhitespace || Validate.isControl($0) })
            else {
                throw PortcullisError.invalidField("PORTCULLIS_ADMIN_KEY",
                    "must be \(minimumEnvironmentKeyLength)–\(APIKeySecret.maximumLength) characters without spaces or control characters")
            }
            _ = try await directory.replaceEnvironmentKey(APIKeySecret(key: environmentKey), name: "admin (PORTCULLIS_ADMIN_KEY)")
            return .fromEnvironment
        }
        guard try await !directory.hasAPIKeys() else { return .existing }
        let secret = APIKeySecret.generate()
        let path = dataDirectory + "/admin.key"
        // Write the file first: a key in the database that nobody can read would lock the administrator out.
        unlink(path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw PortcullisError(.adminKeyUnwritable, "cannot create \(path)") }
        let line = Array((secret.key + "\n").utf8)
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        fsync(descriptor)
        close(descriptor)
        guard written == line.count else { throw PortcullisError(.adminKeyUnwritable, "cannot write \(path)") }
        _ = try await directory.createAPIKey(name: "admin (admin.key)", scopes: [.admin], secret: secret, source: .bootstrap)
        return .createdFile(path)
    }
}
