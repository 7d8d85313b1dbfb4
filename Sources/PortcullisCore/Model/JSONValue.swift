/// A parsed JSON value, used to validate request bodies and import lines field by field,
/// so that every error names the field it is about.
public enum JSONValue: Sendable, Equatable, Codable {
    /// JSON `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// Any JSON number, as a finite `Double` (`FieldReader.int(_:in:)` checks for integers).
    case number(Double)
    /// A string, escapes resolved.
    case string(String)
    /// An array, in order.
    case array([JSONValue])
    /// An object; a field name appears once (`JSONParser` refuses duplicates).
    case object([String: JSONValue])

    /// Decodes any JSON value through `Codable`; request bodies go through the faster `JSONParser` instead.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Encodes the value as the JSON it represents.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Reads typed fields out of a JSON object, naming the field in every error, and rejects fields it was not asked for.
///
/// The fields are kept as a short list, searched in order: request bodies have a handful of fields, for which that is
/// cheaper than hashing every name.
public struct FieldReader {
    private var fields: [(name: String, value: JSONValue)]

    /// Fails unless `value` is a JSON object.
    public init(_ value: JSONValue) throws(PortcullisError) {
        guard case .object(let fields) = value else {
            throw PortcullisError(.invalidJSON, "the body must be a JSON object, not \(value.typeName)")
        }
        self.fields = fields.map { (name: $0.key, value: $0.value) }
    }

    /// The fields of an object whose names are known to be distinct (`FlatJSONObject.fields(_:)`).
    public init(distinctFields: [(name: String, value: JSONValue)]) {
        fields = distinctFields
    }

    /// Whether the field is present (even as null).
    public func has(_ name: String) -> Bool { fields.contains { $0.name == name } }

    /// Takes a field out, so that `finish()` sees only the unread ones.
    private mutating func removeValue(forKey name: String) -> JSONValue? {
        guard let index = fields.firstIndex(where: { $0.name == name }) else { return nil }
        fields.swapAt(index, fields.count - 1)
        return fields.removeLast().value
    }

    /// A string field of at most `maxLength` UTF-8 bytes; nil when absent or null (`nullableString(_:maxLength:)` tells null apart).
    public mutating func string(_ name: String, maxLength: Int = 1024) throws(PortcullisError) -> String? {
        switch removeValue(forKey: name) {
        case nil, .null?: return nil
        case .string(let value)?:
            guard value.utf8.count <= maxLength else { throw .invalidField(name, "longer than \(maxLength) bytes") }
            return value
        case let other?: throw .invalidField(name, "must be a string, not \(other.typeName)")
        }
    }

    /// A free-text field (a name): a string without control characters; nil when absent.
    public mutating func text(_ name: String, maxLength: Int = 1024) throws(PortcullisError) -> String? {
        guard let value = try string(name, maxLength: maxLength) else { return nil }
        return try Validate.text(value, field: name)
    }

    /// A required free-text field: `text(_:maxLength:)`, but absence (or null) is an `invalid_field` error.
    public mutating func requiredText(_ name: String, maxLength: Int = 1024) throws(PortcullisError) -> String {
        guard let value = try text(name, maxLength: maxLength) else { throw .invalidField(name, "is required") }
        return value
    }

    /// A field that may be set to a string or explicitly to null: `.some(nil)` means "clear it".
    public mutating func nullableString(_ name: String, maxLength: Int = 1024) throws(PortcullisError) -> String?? {
        switch removeValue(forKey: name) {
        case nil: return .none
        case .null?: return .some(nil)
        case .string(let value)?:
            guard value.utf8.count <= maxLength else { throw .invalidField(name, "longer than \(maxLength) bytes") }
            return .some(value)
        case let other?: throw .invalidField(name, "must be a string or null, not \(other.typeName)")
        }
    }

    /// A required string field of at most `maxLength` UTF-8 bytes; absence (or null) is an `invalid_field` error.
    public mutating func requiredString(_ name: String, maxLength: Int = 1024) throws(PortcullisError) -> String {
        guard let value = try string(name, maxLength: maxLength) else { throw .invalidField(name, "is required") }
        return value
    }

    /// An entity id field, validated against the id syntax.
    public mutating func id(_ name: String) throws(PortcullisError) -> String? {
        guard let value = try string(name, maxLength: Int.max) else { return nil }
        guard Identifier.isValid(value) else { throw .invalidField(name, "must be 1–128 characters of A-Z a-z 0-9 . _ : -") }
        return value
    }

    /// A required entity id field (`Identifier.isValid`); absence (or null) is an `invalid_field` error.
    public mutating func requiredID(_ name: String) throws(PortcullisError) -> String {
        guard let value = try id(name) else { throw .invalidField(name, "is required") }
        return value
    }

    /// An id field that may be explicitly null (`.some(nil)`).
    public mutating func nullableID(_ name: String) throws(PortcullisError) -> String?? {
        switch try nullableString(name, maxLength: Int.max) {
        case .none: return .none
        case .some(nil): return .some(nil)
        case .some(let value?):
            guard Identifier.isValid(value) else { throw .invalidField(name, "must be 1–128 characters of A-Z a-z 0-9 . _ : -") }
            return .some(value)
        }
    }

    /// A boolean field; nil when absent or null; any other type is an `invalid_field` error.
    public mutating func bool(_ name: String) throws(PortcullisError) -> Bool? {
        switch removeValue(forKey: name) {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case let other?: throw .invalidField(name, "must be a boolean, not \(other.typeName)")
        }
    }

    /// An integer field within `range` (`3.0` counts, `3.5` does not); nil when absent or null.
    public mutating func int(_ name: String, in range: ClosedRange<Int>) throws(PortcullisError) -> Int? {
        switch removeValue(forKey: name) {
        case nil, .null?: return nil
        case .number(let value)?:
            guard value.rounded() == value, value >= Double(range.lowerBound), value <= Double(range.upperBound) else {
                throw .invalidField(name, "must be an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return Int(value)
        case let other?: throw .invalidField(name, "must be a number, not \(other.typeName)")
        }
    }

    /// A string field whose value must be one of an enumeration's raw values.
    public mutating func enumeration<E: RawRepresentable & CaseIterable>(_ name: String, _: E.Type) throws(PortcullisError) -> E?
    where E.RawValue == String {
        guard let raw = try string(name) else { return nil }
        guard let value = E(rawValue: raw) else {
            throw .invalidField(name, "must be one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// A required enumeration field; the error for a wrong value lists the accepted ones.
    public mutating func requiredEnumeration<E: RawRepresentable & CaseIterable>(_ name: String, _ type: E.Type) throws(PortcullisError) -> E
    where E.RawValue == String {
        guard let value = try enumeration(name, type) else { throw .invalidField(name, "is required") }
        return value
    }

    /// An array of strings, each one of an enumeration's raw values.
    public mutating func enumerationList<E: RawRepresentable & CaseIterable & Equatable>(_ name: String, _: E.Type) throws(PortcullisError) -> [E]?
    where E.RawValue == String {
        switch removeValue(forKey: name) {
        case nil, .null?: return nil
        case .array(let items)?:
            var values: [E] = []
            for item in items {
                guard case .string(let raw) = item, let value = E(rawValue: raw) else {
                    throw .invalidField(name, "every item must be one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                if !values.contains(value) { values.append(value) }
            }
            return values
        case let other?: throw .invalidField(name, "must be an array, not \(other.typeName)")
        }
    }

    /// An array field, required.
    public mutating func array(_ name: String) throws(PortcullisError) -> [JSONValue] {
        switch removeValue(forKey: name) {
        case .array(let items)?: return items
        case nil: throw .invalidField(name, "is required")
        case let other?: throw .invalidField(name, "must be an array, not \(other.typeName)")
        }
    }

    /// A field's raw value, taken out like any read; nil when absent.
    public mutating func value(_ name: String) -> JSONValue? { removeValue(forKey: name) }

    /// Removes a field without reading it (e.g. a discriminator already looked at).
    public mutating func ignore(_ name: String) { _ = removeValue(forKey: name) }

    /// Fails if any field was not read: unknown fields are mistakes, not extensions.
    public func finish() throws(PortcullisError) {
        if let unknown = fields.map(\.name).min() { throw .invalidField(unknown, "is not a known field") }
    }
}
