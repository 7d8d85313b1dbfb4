import PortcullisModel
import PortcullisSQLite
import Synchronization

/// Admission to L1: an answer is cached the second time its key is seen within a while, not the first.
///
/// A uniform workload (every check different) would otherwise fill L1 with answers never asked for again, paying
/// the insert, the memory and the evictions for nothing. The doorkeeper remembers recently seen key hashes in a
/// fixed, direct-mapped table (a newer hash overwrites an older one in its slot), so it costs one hash and one
/// word per slot, and its memory never grows.
final class Doorkeeper: Sendable {
    final class Stripe: Sendable {
        let slots: Mutex<[Int]>

        init(size: Int) {
            slots = Mutex([Int](repeating: 0, count: size))
        }
    }

    private let stripes: [Stripe]
    private let stripeSize: Int

    init(slots: Int = 1 << 20, stripes stripeCount: Int = 16) {
        stripeSize = max(1, slots / stripeCount)
        stripes = (0..<stripeCount).map { _ in Stripe(size: max(1, slots / stripeCount)) }
    }

    /// Whether `key` was seen recently; records it either way.
    func admit(_ key: String) -> Bool {
        var hash = key.hashValue
        if hash == 0 { hash = 1 }
        let stripe = stripes[Int(UInt(bitPattern: hash) % UInt(stripes.count))]
        let slot = Int((UInt(bitPattern: hash) / UInt(stripes.count)) % UInt(stripeSize))
        return stripe.slots.withLock { slots in
            if slots[slot] == hash { return true }
            slots[slot] = hash
            return false
        }
    }
}
