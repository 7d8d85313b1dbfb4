/// The product's version, reported by `portcullis --version` and the health endpoints.
public enum PortcullisVersion {
    public static let current = "0.1.0"
}
