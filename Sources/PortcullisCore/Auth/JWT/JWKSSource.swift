import Foundation

/// Where the JSON Web Key Set comes from: read again whenever a token names a `kid` the verifier does not know (at most
/// once per `JWTConfiguration.refetchIntervalSeconds`).
///
/// ```swift
/// let source = JWKSFile(path: "/etc/portcullis/jwks.json")
/// let bytes = try await source.fetch()
/// ```
public protocol JWKSSource: Sendable {
    /// The key set's JSON text, as bytes.
    func fetch() async throws -> [UInt8]
    /// Where it comes from, for logs (`file /etc/...`, `https://...`).
    var location: String { get }
}

/// A key set in a local file (`auth.jwt.jwks_file`), re-read when a token names an unknown `kid`.
public struct JWKSFile: JWKSSource {
    /// The file's path.
    public let path: String
    /// Larger files are refused: a key set is a few kilobytes.
    public static let maximumBytes = 1 << 20

    /// A source reading `path`.
    public init(path: String) {
        self.path = path
    }

    /// The file's bytes.
    /// - Throws: `PortcullisError` `unreadable_file` when it cannot be read or is over a mebibyte.
    public func fetch() async throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PortcullisError(.unreadableFile, "cannot read the JWKS file \(path)")
        }
        guard data.count <= Self.maximumBytes else { throw PortcullisError(.unreadableFile, "the JWKS file \(path) is over 1 MiB") }
        return [UInt8](data)
    }

    /// `file <path>`.
    public var location: String { "file \(path)" }
}
