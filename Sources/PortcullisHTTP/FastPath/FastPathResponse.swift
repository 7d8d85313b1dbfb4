import NIOCore

/// A fast-path answer as the bytes of one HTTP/1.1 response: the status line, the headers the full path sends with a
/// 200 (same names, same order) and the JSON body, in one buffer written to the socket in one piece. Numbers and the
/// response time are written as digits straight into the buffer, with no `String` in between.
enum FastPathResponse {
    static func ok(body: ByteBuffer, requestId: String, routeClass: RouteClass, nanoseconds: Int64, server: String,
                   allocator: ByteBufferAllocator) -> ByteBuffer {
        let date = HTTPDate.now()
        var buffer = allocator.buffer(capacity: 200 + requestId.utf8.count + server.utf8.count + body.readableBytes)
        buffer.writeStaticString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ")
        buffer.writeDecimal(Int64(body.readableBytes))
        buffer.writeStaticString("\r\nX-Response-Time: ")
        buffer.writeResponseTime(nanoseconds: nanoseconds)
        buffer.writeStaticString("\r\nX-Route-Class: ")
        buffer.writeString(routeClass.rawValue)
        buffer.writeStaticString("\r\nX-Request-Id: ")
        buffer.writeString(requestId)
        buffer.writeStaticString("\r\nDate: ")
        buffer.writeString(date)
        buffer.writeStaticString("\r\nServer: ")
        buffer.writeString(server)
        buffer.writeStaticString("\r\n\r\n")
        buffer.writeImmutableBuffer(body)
        return buffer
    }
}
