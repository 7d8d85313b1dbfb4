#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// RFC 3339 UTC timestamps with milliseconds, as stored and returned: `2026-01-31T12:00:00.123Z`.
public enum Timestamp {
    /// The RFC 3339 UTC text of a Unix time in milliseconds, always with three fractional digits.
    ///
    /// ```swift
    /// Timestamp.format(epochMilliseconds: 1_769_860_800_123)  // "2026-01-31T12:00:00.123Z"
    /// ```
    public static func format(epochMilliseconds: Int64) -> String {
        var seconds = time_t(epochMilliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String { String(value).leftPadded(to: width) }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(epochMilliseconds % 1000), 3))Z"
    }

    /// The Unix time in milliseconds of an RFC 3339 UTC timestamp that `Validate.timestamp` accepted; digits past the
    /// millisecond are dropped (bounds are exact to the millisecond) and a leap second reads as the next minute's first.
    /// Nil for text of another shape.
    ///
    /// ```swift
    /// Timestamp.epochMilliseconds("2026-01-31T12:00:00.123Z")  // 1_769_860_800_123
    /// ```
    public static func epochMilliseconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return nil }
        func digits(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                guard index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 else { return nil }
                value = value * 10 + Int64(bytes[index] - 48)
            }
            return value
        }
        guard let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10), let hour = digits(11..<13),
              let minute = digits(14..<16), let second = digits(17..<19), (1...12).contains(month)
        else { return nil }
        var millisecond: Int64 = 0
        if bytes[19] == UInt8(ascii: ".") {
            let fraction = bytes[20..<(bytes.count - 1)]
            guard !fraction.isEmpty, fraction.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            for (position, byte) in fraction.prefix(3).enumerated() { millisecond += Int64(byte - 48) * [100, 10, 1][position] }
        } else if bytes.count != 20 {
            return nil
        }
        // Days from 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millisecond
    }
}
