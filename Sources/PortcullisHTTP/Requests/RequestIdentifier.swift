import HTTPTypes
import NIOCore
import Synchronization

extension HTTPField.Name {
    static let requestId = Self("X-Request-Id")!
    static let responseTime = Self("X-Response-Time")!
    static let routeClass = Self("X-Route-Class")!
    static let revision = Self("X-Portcullis-Revision")!
}

/// The request id every response carries (`X-Request-Id`): the client's when it is short and printable, else a new one.
///
/// New ids are a random per-process prefix and a counter: unique without a `getrandom` system call per request.
enum RequestIdentifier {
    /// The id for a request that sent `header` (nil when it sent none).
    static func id(for header: String?) -> String {
        header.flatMap(acceptable) ?? next()
    }

    /// A client's id is echoed when it is 1–128 printable ASCII bytes.
    static func acceptable(_ value: String) -> String? {
        value.utf8.count <= 128 && !value.isEmpty && value.utf8.allSatisfy { $0 > 32 && $0 < 127 } ? value : nil
    }

    static func next() -> String {
        prefix + String(counter.add(1, ordering: .relaxed).newValue, radix: 16)
    }

    private static let prefix: String = {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt32, radix: 16) + "-"
    }()
    private static let counter = Atomic<UInt64>(0)
}

/// `0.184ms`: a duration as `X-Response-Time` writes it, three decimals.
enum ResponseTime {
    static func format(nanoseconds: Int64) -> String {
        var buffer = ByteBuffer()
        buffer.writeResponseTime(nanoseconds: nanoseconds)
        return String(buffer: buffer)
    }
}

extension ByteBuffer {
    /// `X-Response-Time`'s value (`0.184ms`) written straight into the buffer: the fast path formats no `String`.
    mutating func writeResponseTime(nanoseconds: Int64) {
        ByteWriter.write(into: &self, capacity: 26) { $0.writeResponseTime(nanoseconds: nanoseconds) }
    }
}
