import Foundation
import HTTPTypes
import Hummingbird
import PortcullisCore

extension Request {
    /// The body as a JSON object's fields, read up to the context's limit (413 beyond it, 400 when not JSON).
    mutating func jsonFields(context: AppRequestContext) async throws -> FieldReader {
        try rejectDeclaredLength(over: context.maxUploadSize)
        let buffer = try await collectBody(upTo: context.maxUploadSize)
        if let flat = buffer.withUnsafeReadableBytes(FlatJSONObject.fields) { return FieldReader(distinctFields: flat) }
        let value: JSONValue
        do {
            value = try buffer.withUnsafeReadableBytes { raw throws(JSONParser.Failure) in try JSONParser.parse(raw.bindMemory(to: UInt8.self)) }
        } catch {
            throw PortcullisError(.invalidJSON, "the body is not valid JSON: \(error.reason) at byte \(error.offset)")
        }
        return try FieldReader(value)
    }

    /// A body that must say nothing: none, or `{}`; anything else is a 400, as for every strict request object.
    mutating func emptyObject(context: AppRequestContext) async throws {
        try rejectDeclaredLength(over: context.maxUploadSize)
        guard try await collectBody(upTo: context.maxUploadSize).readableBytes > 0 else { return }
        try await jsonFields(context: context).finish()
    }

    /// 413 at once when `Content-Length` announces more than `limit`: nothing is read, nothing waits for the rest.
    func rejectDeclaredLength(over limit: Int) throws {
        guard let declared = headers[.contentLength].flatMap({ Int($0) }), declared > limit else { return }
        throw PortcullisError(.payloadTooLarge, "the body of \(declared) bytes exceeds the limit of \(limit) bytes")
    }

    /// A required query parameter.
    func query(_ name: String) throws -> String {
        guard let value = uri.queryParameters[Substring(name)], !value.isEmpty else { throw PortcullisError.invalidField(name, "is required") }
        return String(value)
    }

    /// An optional query parameter that names an entity: absent is nil, present it must be a well-formed id (400 naming it).
    func idQuery(_ name: String) throws -> String? {
        guard let value = uri.queryParameters[Substring(name)] else { return nil }
        guard Identifier.isValid(String(value)) else { throw PortcullisError.invalidField(name, "must be 1–128 characters of A-Z a-z 0-9 . _ : -") }
        return String(value)
    }

    /// `limit` and `cursor` query parameters.
    func pageRequest() throws -> PageRequest {
        var page = PageRequest(cursor: uri.queryParameters["cursor"].map(String.init))
        if let raw = uri.queryParameters["limit"] {
            guard let limit = Int(raw), (1...PageRequest.maxLimit).contains(limit) else {
                throw PortcullisError.invalidField("limit", "must be an integer in 1...\(PageRequest.maxLimit)")
            }
            page.limit = limit
        }
        return page
    }
}

extension Response {
    static let jsonEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// A JSON response; `revision` adds `X-Portcullis-Revision` (every 2xx write carries it).
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, revision: Int64? = nil) throws -> Response {
        let data = try jsonEncoder.encode(value)
        return json(bytes: data, status: status, revision: revision)
    }

    static func json(bytes: some Sequence<UInt8>, status: HTTPResponse.Status = .ok, revision: Int64? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let revision { headers[.revision] = String(revision) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// 204 for a committed delete, with its revision.
    static func noContent(revision: Int64) -> Response {
        Response(status: .noContent, headers: [.revision: String(revision)])
    }
}

/// A page of a management list: `{items, next_cursor}`.
struct ListBody<Item: Encodable & Sendable>: Encodable {
    var items: [Item]
    var nextCursor: String?

    init(_ page: Page<Item>) {
        items = page.items
        nextCursor = page.nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case items, nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}
