/// The decision log's filters: for each batch the writer commits, one row per user, resource, resource type and outcome
/// listing the keys of that batch's entries with it ("postings"), instead of one index entry per entry and filter.
///
/// An index on `user_id` takes every entry at a random place in its B-tree: the user and resource indexes took about
/// half of the writer's time per entry, the type and outcome indexes a sixth more. A hot user or resource appears many
/// times in a second's batch, a type or an outcome thousands of times, so one postings row replaces many index inserts;
/// the entry itself is an append at the end of the table.
///
/// A postings row is keyed by a 64-bit FNV-1a hash of the lookup (kind and id) and the largest entry key it lists; its
/// keys are ascending, delta-encoded as LEB128 varints. Two ids with the same hash share rows, so a reader checks every
/// entry it fetches against the query. No row spans more than `span` keys (a batch is split where it would), which lets
/// a reader know when no later row can hold a newer entry: entries are read newest first from rows whose largest key is
/// in `[since, before + span)`.
enum DecisionPostings {
    /// The widest range of entry keys one row covers (`DecisionLookup.postingsSpan`).
    static let span = DecisionLookup.postingsSpan

    /// The row key of `id` looked up as `kind`.
    static func hash(_ kind: DecisionLookup, _ id: String) -> Int64 {
        Int64(bitPattern: FNV1a.hash(id, from: FNV1a.step(FNV1a.offsetBasis, kind.rawValue)))
    }

    /// Calls `body` with the row key of every lookup an entry is listed under (`DecisionLookup.forEach`).
    static func forEachHash(user: String?, resource: String?, type: String, allowed: Bool, _ body: (Int64) -> Void) {
        DecisionLookup.forEach(user: user, resource: resource, type: type, allowed: allowed) { body(hash($0, $1)) }
    }

    /// A postings row: its lookup hash, its largest key, its keys encoded.
    struct Row: Equatable {
        var hash: Int64
        var lastKey: Int64
        var keys: [UInt8]
    }

    /// Groups one batch's entry keys by lookup and encodes them as rows: one flat array of (hash, key) pairs, sorted
    /// once, so a batch costs a sort and no allocation per row.
    struct Builder {
        private var pairs: [(hash: Int64, key: Int64)] = []

        /// Lists entry `key` under its lookups (`forEachHash`).
        mutating func add(_ key: Int64, user: String?, resource: String?, type: String, allowed: Bool) {
            DecisionPostings.forEachHash(user: user, resource: resource, type: type, allowed: allowed) { pairs.append(($0, key)) }
        }

        /// Calls `body` with each row: per lookup, its keys ascending, cut wherever a row would cover more than `span`.
        /// The encoded keys are valid only inside `body`.
        mutating func forEachRow<E: Error>(_ body: (_ hash: Int64, _ lastKey: Int64, _ keys: [UInt8]) throws(E) -> Void) throws(E) {
            pairs.sort { $0.hash != $1.hash ? $0.hash < $1.hash : $0.key < $1.key }
            var encoded: [UInt8] = []
            var start = 0
            for index in pairs.indices {
                let next = index + 1
                if next < pairs.count && pairs[next].hash == pairs[start].hash && pairs[next].key - pairs[start].key <= DecisionPostings.span {
                    continue
                }
                encoded.removeAll(keepingCapacity: true)
                DecisionPostings.encode(pairs[start..<next].lazy.map(\.key), into: &encoded)
                try body(pairs[start].hash, pairs[index].key, encoded)
                start = next
            }
        }

        /// The rows, for tests.
        mutating func rows() -> [Row] {
            var rows: [Row] = []
            forEachRow { hash, lastKey, keys in rows.append(Row(hash: hash, lastKey: lastKey, keys: keys)) }
            return rows
        }
    }

    /// Ascending keys as LEB128 varints: the first key, then each difference from the one before.
    static func encode(_ keys: some Sequence<Int64>, into bytes: inout [UInt8]) {
        var previous: Int64 = 0
        for key in keys {
            var value = UInt64(bitPattern: key &- previous)
            previous = key
            while value >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            bytes.append(UInt8(value))
        }
    }

    /// `keys` encoded (`encode(_:into:)`).
    static func encode(_ keys: some Sequence<Int64>) -> [UInt8] {
        var bytes: [UInt8] = []
        encode(keys, into: &bytes)
        return bytes
    }

    /// The keys `encode` wrote; a truncated or overlong varint ends the list where it starts.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> [Int64] {
        var keys: [Int64] = []
        var value: UInt64 = 0, shift: UInt64 = 0, previous: Int64 = 0
        for byte in bytes {
            guard shift < 64 else { break }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 != 0 {
                shift += 7
                continue
            }
            previous = previous &+ Int64(bitPattern: value)
            keys.append(previous)
            (value, shift) = (0, 0)
        }
        return keys
    }
}
