import Hummingbird

/// Lets a request through to the admin pages only with `Authorization: Bearer TOKEN`.
///
/// Both refusals are 401 with `WWW-Authenticate: Bearer` (RFC 6750), and say which it was.
struct AdminAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: AdminToken

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let field = request.headers[.authorization] else {
            throw refusal(#"Bearer realm="receiver""#, "this page needs the admin token: Authorization: Bearer TOKEN")
        }
        let scheme = "bearer "
        guard field.count > scheme.count, field.prefix(scheme.count).lowercased() == scheme else {
            throw refusal(#"Bearer realm="receiver", error="invalid_request""#, "the Authorization header is not 'Bearer TOKEN'")
        }
        guard token.matches(field.utf8.dropFirst(scheme.count)) else {
            throw refusal(#"Bearer realm="receiver", error="invalid_token""#, "the admin token is wrong")
        }
        return try await next(request, context)
    }

    private func refusal(_ challenge: String, _ message: String) -> HTTPError {
        HTTPError(.unauthorized, headers: [.wwwAuthenticate: challenge], message: message)
    }
}
