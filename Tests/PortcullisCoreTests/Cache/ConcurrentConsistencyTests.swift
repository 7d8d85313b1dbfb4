import Foundation
import Synchronization
import Testing

@testable import PortcullisCore
@testable import PortcullisCache
@testable import PortcullisStore

@Suite("Randomized races: writers against cached checkers, every decision checked against an uncached evaluation")
struct ConcurrentConsistencyTests {
    static let users = (0..<6).map { "u\($0)" }
    static let teams = ["t0", "t1"]
    static let projects = (0..<4).map { "p\($0)" }
    static let generations = (0..<10).map { "g\($0)" }
    static let actions: [Action] = [.read, .update, .delete, .download]

    struct Observation {
        var request: CheckRequest
        var decision: Decision
        /// The writer's last acknowledged revision before the check began, and after it ended.
        var acknowledgedBefore: Int64
        var acknowledgedAfter: Int64
    }

    /// The answer to every check at one revision, from the uncached engine.
    static func truth(_ engine: AuthorizationEngine) throws -> [String: String] {
        var answers: [String: String] = [:]
        for user in users {
            for generation in generations {
                for action in actions {
                    let decision = try engine.check(CheckRequest(userId: user, action: action, resourceType: .generation, resourceId: generation))
                    answers["\(user) \(action.rawValue) \(generation)"] = "\(decision.allowed) \(decision.reason.code)"
                }
            }
        }
        return answers
    }

    static func randomWrite(_ store: SQLiteStore, _ random: inout SplitMix64) async throws -> Int64? {
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        do {
            switch random.next() % 7 {
            case 0:
                return try await store.putMember(teamId: pick(teams), userId: pick(users), MembershipInput(
                    role: pick(TeamRole.allCases), permissions: random.next() % 3 == 0 ? [pick([.delete, .update])] : [],
                    isActive: random.next() % 4 != 0)).member.revision
            case 1: return try await store.deleteMember(teamId: pick(teams), userId: pick(users))
            case 2: return try await store.updateProject(pick(projects), ProjectPatch(visibility: pick(Visibility.allCases))).revision
            case 3: return try await store.updateProject(pick(projects), ProjectPatch(teamId: .some(random.next() % 3 == 0 ? nil : pick(teams)))).revision
            case 4: return try await store.updateUser(pick(users), UserPatch(status: random.next() % 3 == 0 ? .disabled : .active), passwordHash: nil).revision
            case 5: return try await store.updateGeneration(pick(generations), GenerationPatch(projectId: .some(random.next() % 4 == 0 ? nil : pick(projects)))).revision
            default: return try await store.updateUser(pick(users), UserPatch(isAdmin: random.next() % 8 == 0), passwordHash: nil).revision
            }
        } catch let error as PortcullisError where error.code == .notFound {
            return nil
        }
    }

    @Test("no decision is older than the last acknowledged write, and each equals the truth at a revision it may reflect",
          arguments: [UInt64(1), 2, 3])
    func race(seed: UInt64) async throws {
        let cached = try CachedDirectory()
        let directory = cached.directory
        for user in Self.users { try await directory.user(user) }
        for team in Self.teams { try await directory.team(team, owner: "u0") }
        for (index, project) in Self.projects.enumerated() {
            try await directory.project(project, owner: Self.users[index + 1], team: Self.teams[index % 2], visibility: .team)
        }
        for (index, generation) in Self.generations.enumerated() {
            try await directory.generation(generation, owner: Self.users[index % 6], project: Self.projects[index % 4])
        }
        let store = directory.store
        let cache = cached.cache
        let uncached = AuthorizationEngine(store: store)
        let engine = cached.engine
        let initial = try store.revision()
        let state = RaceState(initial: initial, truth: try Self.truth(uncached))

        let observations = try await withThrowingTaskGroup(of: [Observation].self) { group in
            group.addTask {
                var random = SplitMix64(seed: seed)
                for _ in 0..<150 {
                    guard let revision = try await Self.randomWrite(store, &random) else { continue }
                    // Only this task writes, so the data stays at `revision` while the truth is computed.
                    let truth = try Self.truth(uncached)
                    state.truths.withLock { $0[revision] = truth }
                    state.acknowledged.store(revision, ordering: .sequentiallyConsistent)
                    if random.next() % 5 == 0 { try cache.layers?.flush() }
                }
                state.writing.store(false, ordering: .sequentiallyConsistent)
                return []
            }
            for checker in 0..<3 {
                group.addTask {
                    var random = SplitMix64(seed: seed &* 31 &+ UInt64(checker))
                    var seen: [Observation] = []
                    while state.writing.load(ordering: .sequentiallyConsistent) || seen.count < 500 {
                        let request = CheckRequest(
                            userId: Self.users[Int(random.next() % 6)], action: Self.actions[Int(random.next() % 4)],
                            resourceType: .generation, resourceId: Self.generations[Int(random.next() % 10)])
                        let before = state.acknowledged.load(ordering: .sequentiallyConsistent)
                        let decision = try engine.check(request)
                        let after = state.acknowledged.load(ordering: .sequentiallyConsistent)
                        seen.append(Observation(request: request, decision: decision, acknowledgedBefore: before, acknowledgedAfter: after))
                        if seen.count % 16 == 0 { await Task.yield() }
                    }
                    return seen
                }
            }
            var all: [Observation] = []
            for try await batch in group { all += batch }
            return all
        }

        let allTruths = state.truths.withLock { $0 }
        var violations: [String] = []
        var cachedAnswers = 0
        for observation in observations {
            if observation.decision.cacheLayer != .miss { cachedAnswers += 1 }
            let key = "\(observation.request.userId) \(observation.request.action.rawValue) \(observation.request.resourceId)"
            let answer = "\(observation.decision.allowed) \(observation.decision.reason.code)"
            guard observation.decision.revision >= observation.acknowledgedBefore else {
                violations.append("\(key): revision \(observation.decision.revision) < acknowledged \(observation.acknowledgedBefore)")
                continue
            }
            // It may reflect any state from its own revision to one write past the last acknowledged (committed, not yet answered).
            let candidates = allTruths.filter { $0.key >= observation.decision.revision && $0.key <= observation.acknowledgedAfter + 1 }
            if !candidates.values.contains(where: { $0[key] == answer }) {
                violations.append("\(key) = \(answer) at \(observation.decision.revision) (\(observation.decision.cacheLayer)); truth: "
                    + candidates.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value[key] ?? "?")" }.joined(separator: ", "))
            }
        }
        #expect(violations.isEmpty, "\(violations.count) violations, first: \(violations.prefix(3))")
        #expect(observations.count >= 1500)
        #expect(cachedAnswers > observations.count / 4, "the race must exercise cached answers (\(cachedAnswers)/\(observations.count))")
    }
}

/// What the writer and the checkers share.
final class RaceState: Sendable {
    let truths: Mutex<[Int64: [String: String]]>
    let acknowledged: Atomic<Int64>
    let writing = Atomic<Bool>(true)

    init(initial: Int64, truth: [String: String]) {
        truths = Mutex([initial: truth])
        acknowledged = Atomic(initial)
    }
}
