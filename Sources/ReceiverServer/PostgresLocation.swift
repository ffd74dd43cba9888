import Foundation

/// A PostgreSQL database named by a URL, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, with
/// the password from the URL or else from `PGPASSWORD` (as libpq's own tools read it).
public struct PostgresLocation: Sendable, Equatable {
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it (libpq's default).
        case prefer
        /// TLS, with the server's certificate verified against the system's trusted roots.
        case require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// The URL without the password, for logs and messages.
    public var description: String { "postgres://\(username)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)" }

    /// - Parameters:
    ///   - url: `postgres://` or `postgresql://`, a user, a host, an optional port (5432), a database;
    ///     `?sslmode=disable|prefer|require` optionally.
    ///   - environment: where `PGPASSWORD` is read when the URL has no password.
    /// - Throws: `PostgresLocationError` naming what is wrong with `url`.
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func fail(_ reason: String) -> PostgresLocationError {
            // Never echo a password: the URL is shown without it.
            var shown = URLComponents(string: url)
            shown?.password = nil
            return PostgresLocationError(description: "--database '\(shown?.string ?? "(unparsable URL)")': \(reason)")
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw fail("not a URL; expected postgres://USER@HOST:PORT/DATABASE")
        }
        guard scheme == "postgres" || scheme == "postgresql" else { throw fail("the scheme is \(scheme), not postgres") }
        guard let user = components.user, !user.isEmpty else { throw fail("no user; expected postgres://USER@HOST:PORT/DATABASE") }
        guard let host = components.host, !host.isEmpty else { throw fail("no host; expected postgres://USER@HOST:PORT/DATABASE") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw fail("no database name after the host; expected postgres://USER@HOST:PORT/DATABASE") }
        guard (1...65_535).contains(components.port ?? 5432) else { throw fail("the port must be 1...65535") }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else { throw fail("unknown parameter \(item.name); only sslmode is read") }
            guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                throw fail("sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            tls = mode
        }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? 5432
        self.username = components.percentEncodedUser?.removingPercentEncoding ?? user
        self.password = components.percentEncodedPassword?.removingPercentEncoding ?? environment["PGPASSWORD"]
        self.database = database.removingPercentEncoding ?? database
        self.tls = tls
    }
}

public struct PostgresLocationError: Error, CustomStringConvertible {
    public var description: String
}
