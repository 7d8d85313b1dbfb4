import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOHTTP1
import PortcullisCore

/// Turns every error thrown below it into the spec's JSON error shape with its status: the one place routes' errors
/// are rendered.
///
/// Core errors carry their code (and so their status); Hummingbird's own (no route, body too large) are mapped by
/// status; a request to a known path with the wrong method becomes 405 with `Allow`. Anything else is a bug: logged,
/// and answered 500 without detail.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as PortcullisError {
            return ErrorResponse.make(error)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = routes.methods(matching: request.uri.path)
            guard !allowed.isEmpty else { return ErrorResponse.make(PortcullisError(.notFound, "no route for \(request.uri.path)")) }
            var response = ErrorResponse.make(PortcullisError(.methodNotAllowed, "\(request.method.rawValue) is not allowed on \(request.uri.path)"))
            response.headers[.allow] = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            return response
        } catch let error as HTTPError {
            return ErrorResponse.make(PortcullisError(ErrorCode(status: error.status), error.body ?? error.status.reasonPhrase))
        } catch let error as HTTPParserError {
            // The client's fault (e.g. it closed the connection halfway through the body it announced): not a 5xx.
            return ErrorResponse.make(PortcullisError(.badRequest, "malformed request: \(error)"))
        } catch let error as any HTTPResponseError {
            return ErrorResponse.make(PortcullisError(ErrorCode(status: error.status), error.status.reasonPhrase))
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return ErrorResponse.make(PortcullisError(.internal, "internal error"))
        }
    }
}

/// The spec's error shape, `{"error": {"code", "message", "details"?}}`, with the code's status and `Retry-After`.
/// Used by `ErrorMiddleware` and by the channel handlers that answer before any route runs (request deadlines).
enum ErrorResponse {
    static func make(_ error: PortcullisError) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let seconds = error.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        return Response(status: HTTPResponse.Status(code: error.code.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body(error))))
    }

    /// The JSON body of an error.
    static func body(_ error: PortcullisError) -> [UInt8] {
        let body = Body(error: .init(code: error.code.rawValue, message: error.message, details: error.details))
        let data = (try? Response.jsonEncoder.encode(body)) ?? Data(#"{"error":{"code":"internal","message":"internal error"}}"#.utf8)
        return Array(data)
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

extension ErrorCode {
    /// The code for an error that arrived with only a status (Hummingbird's own).
    init(status: HTTPResponse.Status) {
        switch status {
        case .unauthorized: self = .unauthorized
        case .forbidden: self = .forbidden
        case .notFound: self = .notFound
        case .methodNotAllowed: self = .methodNotAllowed
        case .requestTimeout: self = .requestTimeout
        case .contentTooLarge: self = .payloadTooLarge
        case .unsupportedMediaType: self = .unsupportedMediaType
        case .tooManyRequests: self = .rateLimited
        case .serviceUnavailable: self = .overloaded
        default: self = status.code >= 500 ? .internal : .badRequest
        }
    }
}

extension PortcullisError: HTTPResponseError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: code.status) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        ErrorResponse.make(self)
    }
}
