#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a text file line by line with bounded memory, numbering lines from 1. Lines are split on `\n`; one trailing
/// `\r` (a CRLF line end) is dropped. A line that is not valid UTF-8 comes with a nil text, so that an import refuses it
/// as the same JSON sent as a request body is refused (never silently replaced with U+FFFD).
public struct LineReader: Sequence, Sendable {
    /// The file read.
    public let path: String

    /// Checks that the file is readable now; `unreadable_file` otherwise. The file is opened when iteration starts.
    public init(path: String) throws(PortcullisError) {
        guard access(path, R_OK) == 0 else { throw PortcullisError(.unreadableFile, "cannot read \(path)") }
        self.path = path
    }

    /// Opens the file for one pass; if it cannot be opened any more, the pass yields nothing.
    public func makeIterator() -> Iterator { Iterator(file: fopen(path, "r")) }

    /// One pass over the file, holding it open and one line buffer (reused) until the iterator is released.
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

        /// The next line and its number (from 1), or nil at the end; the text is nil when the line is not valid UTF-8.
        public func next() -> (line: Int, text: Substring?)? {
            guard let file else { return nil }
            let length = getline(&buffer, &capacity, file)
            guard length >= 0, let buffer else { return nil }
            number += 1
            var count = length
            if count > 0, buffer[count - 1] == 0x0A { count -= 1 }
            if count > 0, buffer[count - 1] == 0x0D { count -= 1 }
            let text: String? = buffer.withMemoryRebound(to: UInt8.self, capacity: count) { start in
                String(validating: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
            }
            return (number, text.map { Substring($0) })
        }
    }
}
