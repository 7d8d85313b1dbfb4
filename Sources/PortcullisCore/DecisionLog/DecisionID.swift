import PortcullisModel
import Synchronization

/// A decision's id: the time it was decided with a per-process counter, and the process's origin (random, or on
/// PostgreSQL handed out by the shared database so that no two nodes hold the same).
///
/// `key` is `(Unix milliseconds << 21) | (counter mod 2^21)`: unique within a process unless over two million decisions
/// share one millisecond, ordered by time, and the decision log's row key — so "newest first", `since` and `until` are
/// ranges of one integer, and looking an id up is one primary-key read. `origin` (32 bits, drawn once per process)
/// tells apart the ids of processes that decided in the same millisecond: random for the node-local SQLite log, where
/// only one node's ids meet; on PostgreSQL, where every node's ids share one table, the next value of the database's
/// `decision_origins` sequence, so two live nodes never hold the same origin and their ids cannot collide. The text
/// form is 24 lowercase hex digits, `key` then `origin`, written without Foundation formatting.
public struct DecisionID: Sendable, Hashable {
    /// Time and counter; the decision log's row key.
    public var key: Int64
    /// The deciding process's origin.
    public var origin: UInt32

    /// Bits of `key` below the milliseconds.
    public static let counterBits: Int64 = 21

    /// An id from its parts.
    public init(key: Int64, origin: UInt32) {
        self.key = key
        self.origin = origin
    }

    /// When the decision was made, Unix milliseconds.
    public var milliseconds: Int64 { key >> Self.counterBits }

    /// The smallest key of a decision made at `milliseconds` or later (past the year 2109, which keys cannot hold, the
    /// largest key).
    public static func firstKey(atOrAfter milliseconds: Int64) -> Int64 {
        milliseconds >= Int64.max >> counterBits ? .max : max(0, milliseconds) << counterBits
    }

    /// The 24-hex-digit text form.
    public var text: String {
        String(unsafeUninitializedCapacity: Self.textLength) { buffer in writeText(into: buffer) }
    }

    /// The length of the text form, in bytes.
    public static let textLength = 24

    /// Writes the text form into the first `textLength` bytes of `buffer` (at least that long); returns how many.
    @discardableResult
    public func writeText(into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        precondition(buffer.count >= Self.textLength)
        Self.hex(UInt64(bitPattern: key), digits: 16, into: buffer, at: 0)
        Self.hex(UInt64(origin), digits: 8, into: buffer, at: 16)
        return Self.textLength
    }

    /// Parses the text form; nil for anything else.
    public init?(text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 24 else { return nil }
        var key: UInt64 = 0, origin: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            let digit: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt64(byte - UInt8(ascii: "a") + 10)
            default: return nil
            }
            if index < 16 { key = key << 4 | digit } else { origin = origin << 4 | digit }
        }
        guard key <= UInt64(Int64.max) else { return nil }
        self.key = Int64(key)
        self.origin = UInt32(origin)
    }

    private static func hex(_ value: UInt64, digits: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        let alphabet: StaticString = "0123456789abcdef"
        for position in 0..<digits {
            let nibble = Int((value >> UInt64((digits - 1 - position) * 4)) & 0xF)
            buffer[offset + position] = alphabet.utf8Start[nibble]
        }
    }
}

/// Hands out decision ids: one relaxed atomic increment and a clock read each.
public final class DecisionIDSource: Sendable {
    /// This process's random origin.
    public let origin: UInt32
    private let counter = Atomic<UInt64>(0)
    private let clock: WallClock

    /// A source with a random origin; `clock` dates the ids.
    public convenience init(clock: WallClock) {
        self.init(clock: clock, origin: Crypto.randomBytes(4).reduce(0) { $0 << 8 | UInt32($1) })
    }

    /// A source with `origin`, e.g. one the shared database handed out (`PostgresDecisionLog.origin`), which no other
    /// process holds: the ids of two such sources never collide.
    public init(clock: WallClock, origin: UInt32) {
        self.clock = clock
        self.origin = origin
    }

    /// The next id, and its counter value (which the sampled mode draws from).
    public func next() -> (id: DecisionID, counter: UInt64) {
        let count = counter.wrappingAdd(1, ordering: .relaxed).newValue
        let key = DecisionID.firstKey(atOrAfter: clock.milliseconds()) | Int64(count & ((1 << UInt64(DecisionID.counterBits)) - 1))
        return (DecisionID(key: key, origin: origin), count)
    }
}
