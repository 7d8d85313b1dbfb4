/// The product's version, reported by `portcullis --version` and the health endpoints.
public enum PortcullisVersion {
    /// The version string, `major.minor.patch`.
    public static let current = "0.1.0"
}
