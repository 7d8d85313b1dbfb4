import NIOCore

/// Writes a response's pieces through a pointer into space a `ByteBuffer` reserved for all of them: one capacity check,
/// one uniqueness check and one exclusivity check per response instead of one of each per piece (a fast-path answer
/// has about thirty pieces). Every write checks its bound, so a wrong reservation stops the process rather than writing
/// past it.
struct ByteWriter: ~Copyable {
    private var next: UnsafeMutablePointer<UInt8>
    private let start: UnsafeMutablePointer<UInt8>
    private let end: UnsafeMutablePointer<UInt8>

    private init(_ raw: UnsafeMutableRawBufferPointer) {
        start = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
        next = start
        end = start + raw.count
    }

    /// Bytes written so far.
    var count: Int { next - start }

    /// Reserves `capacity` bytes at `buffer`'s end for `body` and keeps what it wrote.
    static func write(into buffer: inout ByteBuffer, capacity: Int, _ body: (inout ByteWriter) -> Void) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: capacity) { raw in
            var writer = ByteWriter(raw)
            body(&writer)
            return writer.count
        }
    }

    /// The next `count` bytes, for the caller to fill.
    mutating func reserve(_ count: Int) -> UnsafeMutablePointer<UInt8> {
        precondition(end - next >= count, "ByteWriter: the reservation is too small")
        defer { next += count }
        return next
    }

    mutating func write(_ text: StaticString) {
        reserve(text.utf8CodeUnitCount).update(from: text.utf8Start, count: text.utf8CodeUnitCount)
    }

    mutating func write(_ text: String) {
        var text = text
        text.withUTF8 { write($0) }
    }

    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        reserve(bytes.count).update(from: base, count: bytes.count)
    }

    mutating func write(_ byte: UInt8) {
        reserve(1).pointee = byte
    }

    /// `value` in decimal ASCII: at most 20 bytes.
    mutating func writeDecimal(_ value: Int64) {
        if value < 0 { write(UInt8(ascii: "-")) }
        var magnitude = value.magnitude, digits = 1, rest = magnitude / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        let target = reserve(digits)
        var index = digits
        repeat {
            index -= 1
            target[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
        } while index > 0
    }

    /// `X-Response-Time`'s value, `0.184ms`: at most 26 bytes.
    mutating func writeResponseTime(nanoseconds: Int64) {
        let thousandths = Int64((Double(nanoseconds) / 1e3).rounded())
        writeDecimal(thousandths / 1000)
        let fraction = thousandths % 1000
        write(UInt8(ascii: "."))
        write(UInt8(ascii: "0") + UInt8(fraction / 100))
        write(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        write(UInt8(ascii: "0") + UInt8(fraction % 10))
        write("ms")
    }

    /// `text` as the inside of a JSON string: `"` and `\` escaped, a newline as `\n`, other control characters as
    /// `\u00XX`; everything else (UTF-8 included) as it is. At most `escapedBound(text)` bytes.
    mutating func writeJSONEscaped(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            guard bytes.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }) else {
                write(bytes)
                return
            }
            let hex: StaticString = "0123456789abcdef"
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""): write("\\\"")
                case UInt8(ascii: "\\"): write("\\\\")
                case UInt8(ascii: "\n"): write("\\n")
                case 0..<0x20:
                    write("\\u00")
                    write(hex.utf8Start[Int(byte >> 4)])
                    write(hex.utf8Start[Int(byte & 0xF)])
                default: write(byte)
                }
            }
        }
    }

    /// The most bytes `writeJSONEscaped(text)` writes.
    static func escapedBound(_ text: String) -> Int { text.utf8.count * 6 }
}
