import NIOCore

/// A fast-path answer as the bytes of one HTTP/1.1 response: the status line, the headers the full path sends with a
/// 200 (same names, same order) and the JSON body, in one buffer written to the socket in one piece. Numbers and the
/// response time are written as digits straight into the buffer, with no `String` in between, through one `ByteWriter`.
enum FastPathResponse {
    static func ok(body: ByteBuffer, requestId: String, routeClass: RouteClass, nanoseconds: Int64, server: String,
                   allocator: ByteBufferAllocator) -> ByteBuffer {
        let date = HTTPDate.now()
        let capacity = 200 + routeClass.rawValue.utf8.count + requestId.utf8.count + date.utf8.count + server.utf8.count + body.readableBytes
        var buffer = allocator.buffer(capacity: capacity)
        ByteWriter.write(into: &buffer, capacity: capacity) { response in
            response.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ")
            response.writeDecimal(Int64(body.readableBytes))
            response.write("\r\nX-Response-Time: ")
            response.writeResponseTime(nanoseconds: nanoseconds)
            response.write("\r\nX-Route-Class: ")
            response.write(routeClass.rawValue)
            response.write("\r\nX-Request-Id: ")
            response.write(requestId)
            response.write("\r\nDate: ")
            response.write(date)
            response.write("\r\nServer: ")
            response.write(server)
            response.write("\r\n\r\n")
            body.withUnsafeReadableBytes { response.write($0.assumingMemoryBound(to: UInt8.self)) }
        }
        return buffer
    }
}
