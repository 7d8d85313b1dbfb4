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
}
