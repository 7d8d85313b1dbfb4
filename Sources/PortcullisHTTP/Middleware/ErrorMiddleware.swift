import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOHTTP1
import PortcullisCore

/// Turns every error into the spec's JSON error shape with a fitting status.
///
/// Core errors carry their kind; Hummingbird's own (no route, body too large) are mapped by status; a request to a
/// known path with the wrong method becomes 405 with `Allow`. Anything else is logged and answered 500 without detail.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as PortcullisError {
            return ErrorResponse.make(error)
        } catch let error as HTTPError {
            if error.status == .notFound {
                let allowed = routes.methods(matching: request.uri.path)
                if !allowed.isEmpty {
                    var response = ErrorResponse.make(status: .methodNotAllowed, code: "method_not_allowed",
                                                      message: "\(request.method.rawValue) is not allowed on \(request.uri.path)")
                    response.headers[.allow] = allowed.map(\.rawValue).sorted().joined(separator: ", ")
                    return response
                }
                return ErrorResponse.make(status: .notFound, code: "not_found", message: "no route for \(request.uri.path)")
            }
            return ErrorResponse.make(status: error.status, code: ErrorResponse.code(for: error.status),
                                      message: error.body ?? error.status.reasonPhrase)
        } catch let error as HTTPParserError {
            // The client's fault (e.g. it closed the connection halfway through the body it announced): not a 5xx.
            return ErrorResponse.make(status: .badRequest, code: "bad_request", message: "malformed request: \(error)")
        } catch let error as any HTTPResponseError {
            return ErrorResponse.make(status: error.status, code: ErrorResponse.code(for: error.status), message: error.status.reasonPhrase)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return ErrorResponse.make(status: .internalServerError, code: "internal", message: "internal error")
        }
    }
}

enum ErrorResponse {
    static func make(_ error: PortcullisError) -> Response {
        var response = make(status: status(for: error.kind), code: error.code, message: error.message, details: error.details)
        if case .rateLimited(let seconds) = error.kind { response.headers[.retryAfter] = String(seconds) }
        if case .unavailable = error.kind { response.headers[.retryAfter] = "1" }
        return response
    }

    static func make(status: HTTPResponse.Status, code: String, message: String, details: [PortcullisError.LineError]? = nil) -> Response {
        let body = Body(error: .init(code: code, message: message, details: details))
        let data = (try? Response.jsonEncoder.encode(body)) ?? Data(#"{"error":{"code":"internal","message":"internal error"}}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func status(for kind: PortcullisError.Kind) -> HTTPResponse.Status {
        switch kind {
        case .invalid: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .unprocessable: .unprocessableContent
        case .tooLarge: .contentTooLarge
        case .rateLimited: .tooManyRequests
        case .unavailable: .serviceUnavailable
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .badRequest: "bad_request"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .contentTooLarge: "payload_too_large"
        case .unsupportedMediaType: "unsupported_media_type"
        case .tooManyRequests: "rate_limited"
        case .serviceUnavailable: "overloaded"
        default: status.code >= 500 ? "internal" : "bad_request"
        }
    }

    private struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var details: [PortcullisError.LineError]?
        }

        var error: Detail
    }
}
