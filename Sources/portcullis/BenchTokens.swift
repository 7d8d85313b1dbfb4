import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis bench-tokens`: in-process timing of bearer-token validation (what every user request pays).
struct BenchTokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-tokens",
        abstract: "Time user-token validation in-process on a data directory (creates one user and token sessions).")

    @Option(name: .customLong("data-dir"), help: "The data directory.") var dataDir = "./data"
    @Option(help: "Validations to time.") var samples = 200_000
    @Option(help: "Distinct live tokens to validate across.") var tokens = 1_000

    func run() async throws {
        let store = try SQLiteStore(StoreConfiguration(path: dataDir + "/portcullis.sqlite"))
        let userId = "bench-token-user-\(Identifier.generate(prefix: "u"))"
        _ = try await store.createUser(NewUser(id: userId, email: "\(userId)@bench.portcullis"), passwordHash: nil)
        let expiry = WallClock.system.milliseconds() / 1000 + 3600
        var secrets: [String] = []
        for _ in 0..<tokens {
            let secret = UserTokenSecret.generate()
            try await store.createToken(userId: userId, hash: secret.hash, expiresAt: expiry)
            secrets.append(secret.token)
        }
        let authenticator = Authenticator(directory: store)
        for token in secrets { _ = try authenticator.identity(bearer: token) }
        var nanoseconds: [Int64] = []
        nanoseconds.reserveCapacity(samples)
        let clock = ContinuousClock()
        var valid = 0
        for index in 0..<samples {
            let token = secrets[index % secrets.count]
            let start = clock.now
            let identity = try authenticator.identity(bearer: token)
            let elapsed = clock.now - start
            nanoseconds.append(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
            if identity != nil { valid += 1 }
        }
        _ = try await store.deleteUser(userId)
        nanoseconds.sort()
        func percentile(_ p: Double) -> String {
            String(format: "%.2f", Double(nanoseconds[min(nanoseconds.count - 1, Int(Double(nanoseconds.count) * p))]) / 1000)
        }
        print("token validation: \(samples) samples over \(tokens) tokens, \(valid) valid")
        print("p50 \(percentile(0.50)) µs  p90 \(percentile(0.90)) µs  p99 \(percentile(0.99)) µs  p99.9 \(percentile(0.999)) µs")
    }
}
