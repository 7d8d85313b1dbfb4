#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a text file line by line with bounded memory, numbering lines from 1. Lines are split on `\n`; a trailing `\r` is dropped.
public struct LineReader: Sequence, Sendable {
    public let path: String

    public init(path: String) throws(PortcullisError) {
        guard access(path, R_OK) == 0 else { throw PortcullisError(.unreadableFile, "cannot read \(path)") }
        self.path = path
    }

    public func makeIterator() -> Iterator { Iterator(file: fopen(path, "r")) }

    public final class Iterator: IteratorProtocol {
        private let file: UnsafeMutablePointer<FILE>?
        private var buffer: UnsafeMutablePointer<CChar>?
        private var capacity = 0
        private var number = 0

        init(file: UnsafeMutablePointer<FILE>?) {
            self.file = file
        }

        deinit {
            free(buffer)
            if let file { fclose(file) }
        }

        public func next() -> (line: Int, text: Substring)? {
            guard let file else { return nil }
            let length = getline(&buffer, &capacity, file)
            guard length >= 0, let buffer else { return nil }
            number += 1
            var count = length
            while count > 0, buffer[count - 1] == 0x0A || buffer[count - 1] == 0x0D { count -= 1 }
            let text = buffer.withMemoryRebound(to: UInt8.self, capacity: count) { String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self) }
            return (number, Substring(text))
        }
    }
}
