extension Change {
    /// The record as the API, the stream and the export write it:
    /// `{"revision","at","actor":{"kind","id"},"request_id","entity","entity_id","op","before","after","seq"}`.
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("revision") { $0.int(revision) }
            json.field("at") { $0.string(at) }
            json.field("actor") { json in
                json.object { json in
                    json.field("kind") { $0.string(actor.kind.rawValue) }
                    json.field("id") { $0.stringOrNull(actor.id) }
                }
            }
            json.field("request_id") { $0.stringOrNull(requestId) }
            json.field("entity") { $0.string(entity.rawValue) }
            json.field("entity_id") { $0.string(entityId) }
            json.field("op") { $0.string(op.rawValue) }
            json.field("before") { json in if let before { json.raw(before) } else { json.null() } }
            json.field("after") { json in if let after { json.raw(after) } else { json.null() } }
            json.field("seq") { $0.int(seq) }
        }
    }

    /// The record's JSON bytes.
    public var json: [UInt8] {
        var writer = JSONWriter()
        write(to: &writer)
        return writer.bytes
    }
}
