/// The layer that answered.
public enum CacheLayer: String, Sendable, CaseIterable {
    case l1, l2, l3, miss
}
