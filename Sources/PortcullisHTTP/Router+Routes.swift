import HTTPTypes
import Hummingbird
import PortcullisCore

extension RouterMethods where Context == AppRequestContext {
    /// Registers a handler and records the route in `table`.
    func route(
        _ method: HTTPRequest.Method, _ path: String, in table: RouteTable,
        _ handler: @Sendable @escaping (Request, AppRequestContext) async throws -> Response
    ) {
        table.add(method, path)
        on(RouterPath(path), method: method) { request, context in try await handler(request, context) }
    }
}

extension AppRequestContext {
    /// A path parameter that must be a well-formed entity id (400 naming it otherwise).
    func id(_ name: String) throws -> String {
        let value = try parameters.require(name)
        guard Identifier.isValid(value) else { throw PortcullisError.invalidField(name, "must be 1–128 characters of A-Z a-z 0-9 . _ : -") }
        return value
    }
}
