/// The layer that answered.
public enum CacheLayer: String, Sendable, CaseIterable {
    /// `l1` (memory), `l2` (session cache file), `l3` (persistent cache file), or `miss`: nothing cached, evaluated now.
    case l1, l2, l3, miss
}
