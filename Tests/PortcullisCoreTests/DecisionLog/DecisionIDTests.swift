import Testing

@testable import PortcullisCore

/// Decision ids: unique under concurrency, ordered by time, and read back from their text.
@Suite("Decision ids")
struct DecisionIDTests {
    @Test("the text form is 24 lowercase hex digits and reads back; anything else does not")
    func text() throws {
        let id = DecisionID(key: (1_800_000_000_123 << 21) | 5, origin: 0xDEAD_BEEF)
        #expect(id.text.count == 24 && id.text.hasSuffix("deadbeef"))
        #expect(DecisionID(text: id.text) == id)
        #expect(id.milliseconds == 1_800_000_000_123)
        for bad in ["", "xyz", String(id.text.dropLast()), id.text.uppercased(), id.text + "0", "ffffffffffffffff00000000"] {
            #expect(DecisionID(text: bad) == nil, "\(bad)")
        }
    }

    @Test("ids handed out at once from several tasks are all different, and later ones sort after earlier ones")
    func uniqueUnderConcurrency() async throws {
        let clock = ManualClock()
        let source = DecisionIDSource(clock: clock.clock)
        let batches = try await withThrowingTaskGroup(of: [DecisionID].self) { group in
            for _ in 0..<4 { group.addTask { (0..<50_000).map { _ in source.next().id } } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let all = batches.flatMap { $0 }
        #expect(Set(all).count == 200_000 && Set(all.map(\.text)).count == 200_000)
        #expect(batches.allSatisfy { batch in zip(batch, batch.dropFirst()).allSatisfy { $0.key < $1.key } })
        clock.advance(milliseconds: 1)
        let later = source.next().id
        #expect(all.allSatisfy { $0.key < later.key })
    }

    @Test("two processes' ids differ by their origin")
    func origins() {
        let clock = ManualClock()
        let one = DecisionIDSource(clock: clock.clock), other = DecisionIDSource(clock: clock.clock)
        #expect(one.origin != other.origin)
        #expect(one.next().id != other.next().id)
    }
}
