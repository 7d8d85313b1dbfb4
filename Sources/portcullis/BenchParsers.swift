import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis bench-parsers`: the hand-written parsers and encoders of the request path, timed against the library
/// each one stands in for, on the inputs the server sees. The figures justify (or not) keeping them by hand.
struct BenchParsers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-parsers",
        abstract: "Time the hand-written JSON parser and base64url against Foundation on request-sized inputs.")

    @Option(help: "Repetitions per measurement.") var samples = 200_000

    func run() throws {
        let body = Array(#"{"user_id":"u12345","action":"read","resource_type":"generation","resource_id":"g987654","explain":false}"#.utf8)
        let data = Data(body)
        try measure("check body: FlatJSONObject + FieldReader + CheckRequest") {
            var fields = FieldReader(distinctFields: body.withUnsafeBytes(FlatJSONObject.fields)!)
            _ = try CheckRequest(&fields)
        }
        try measure("check body: JSONParser + FieldReader + CheckRequest") {
            var fields = try FieldReader(JSONParser.parse(body))
            _ = try CheckRequest(&fields)
        }
        try measure("check body: JSONSerialization to [String: Any]") {
            _ = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        }
        try measure("check body: JSONDecoder into JSONValue") {
            _ = try JSONDecoder().decode(JSONValue.self, from: data)
        }
        try measure("check body: JSONDecoder into a Codable struct") {
            _ = try JSONDecoder().decode(CheckBody.self, from: data)
        }
        let bytes = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let encoded = Base64URL.encode(bytes)
        measure("32 bytes: Base64URL.encode") { _ = Base64URL.encode(bytes) }
        measure("32 bytes: Foundation base64 + url alphabet") {
            _ = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        measure("43 characters: Base64URL.decode") { _ = Base64URL.decode(encoded) }
        measure("43 characters: Foundation base64 from url alphabet") {
            _ = Data(base64Encoded: encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "=")
        }
    }

    struct CheckBody: Decodable {
        var user_id: String
        var action: String
        var resource_type: String
        var resource_id: String
        var explain: Bool?
    }

    func measure(_ name: String, _ body: () throws -> Void) rethrows {
        for _ in 0..<1_000 { try body() }
        var nanoseconds: [Int64] = []
        nanoseconds.reserveCapacity(samples)
        for _ in 0..<samples {
            let start = monotonicNanoseconds()
            try body()
            nanoseconds.append(monotonicNanoseconds() - start)
        }
        nanoseconds.sort()
        let p50 = Double(nanoseconds[nanoseconds.count / 2]) / 1000, p99 = Double(nanoseconds[nanoseconds.count * 99 / 100]) / 1000
        print("\(name): p50 \(String(format: "%.2f", p50)) µs  p99 \(String(format: "%.2f", p99)) µs")
    }
}
