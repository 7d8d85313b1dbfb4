import Foundation
import PortcullisCore

extension BenchCache {
    /// 3. Memory per cached decision: `entries` distinct decisions evaluated from the store and cached in a fresh
    ///    memory-only L1, resident memory measured before and after. `--memory-payload before` caches them as payloads
    ///    were before rule paths were kept; run each in its own process (memory freed by one run would flatter the next).
    func measureMemory(store: any Store, versions: VersionClock, entries: Int) throws {
        var random = SplitMix64(seed: 5)
        let actions: [Action] = [.read, .update, .delete, .download]
        let requests = (0..<entries).map { _ in
            CheckRequest(userId: SeedDataset.userId(Int(random.next() % UInt64(users))), action: actions[Int(random.next() % 4)],
                         resourceType: .generation, resourceId: SeedDataset.generationId(Int(random.next() % UInt64(generations))))
        }
        let decisions = try requests.map { try AuthorizationEngine(store: store).check($0) }
        // The payloads as `DecisionCodec` writes them now, and as it wrote them before rule paths were kept.
        let withPath = CacheCodec<Decision>(encode: { ($0.allowed ? "1|" : "0|") + $0.reason.code + "|" + $0.rulePath.encoded },
                                            decode: { _ in nil })
        let withoutPath = CacheCodec<Decision>(encode: { ($0.allowed ? "1|" : "0|") + $0.reason.code }, decode: { _ in nil })
        let (name, codec) = memoryPayload == "before" ? ("without rule path (before)", withoutPath) : ("with rule path (now)", withPath)
        var configuration = DecisionCache.Configuration()
        configuration.admitOnFirstSighting = true
        let cache = try DecisionCache(configuration: configuration, versions: versions, file: nil)
        let before = Self.residentBytes()
        for (request, decision) in zip(requests, decisions) {
            let key = CacheKey(.decision, request.userId, request.resourceType.rawValue, request.resourceId, request.action.rawValue)
            _ = cache.answer(key, codec) { Computed(decision, dependencies: [.user(request.userId), .generation(request.resourceId)]) }
        }
        let resident = Self.residentBytes() - before
        let l1 = cache.report().layer(.l1)!
        print("memory per cached decision, \(name): \(resident / max(1, l1.entries ?? 1)) bytes resident "
            + "(\(l1.entries ?? 0) entries; L1's own estimate \((l1.bytes ?? 0) / max(1, l1.entries ?? 1)) bytes)")
    }

    /// Resident bytes of the process (`/proc/self/statm`); 0 where it cannot be read.
    static func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }
}
