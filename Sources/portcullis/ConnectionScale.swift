import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1

/// Many open keep-alive connections, mostly idle, carrying a fixed total rate of checks (open loop, see
/// `OpenLoopLoad`). Tries each rate in turn and stops at the first whose p99 exceeds 100 ms or that has errors.
struct ConnectionScale {
    let host: String
    let port: Int
    let key: String
    let connections: Int
    let duration: Int
    let rates: [Int]
    let users: Int
    let generations: Int
    let pid: Int32?

    func run() throws -> [BenchResult] {
        var results: [BenchResult] = []
        let key = key, host = host, users = users, generations = generations
        for rate in rates {
            let load = OpenLoopLoad(host: host, port: port, connections: connections, rate: rate, duration: duration) {
                let body = #"{"user_id":"u\#(Int.random(in: 0..<users))","action":"read","resource_type":"generation","resource_id":"g\#(Int.random(in: 0..<generations))"}"#
                var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/api/v1/authz/check")
                head.headers.add(name: "Host", value: host)
                head.headers.add(name: "Authorization", value: "Bearer \(key)")
                head.headers.add(name: "Content-Type", value: "application/json")
                head.headers.add(name: "Content-Length", value: String(body.utf8.count))
                return (head, ByteBuffer(string: body))
            }
            let outcome = try load.run()
            var result = BenchResult(scenario: "connections", connections: connections - outcome.connectFailures, requests: outcome.sent,
                                     requestsPerSecond: Double(outcome.completed) / outcome.seconds, latenciesMilliseconds: outcome.latenciesMilliseconds,
                                     errors: outcome.errors + outcome.connectFailures, rate: rate)
            result.durationSeconds = duration
            result.serverRSSMegabytes = pid.flatMap(ServerProcess.rssMegabytes)
            print(result.row)
            results.append(result)
            if result.p99Milliseconds > 100 || result.errors > 0 { break }
        }
        return results
    }
}
