import NIOCore
import NIOPosix
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

/// One readable line for what went wrong talking to PostgreSQL, instead of the nested
/// descriptions of PostgresNIO's and SwiftNIO's error types (which repeat and garble each other).
enum PostgresErrorText {
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as PSQLError:
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return "the server answered: \(message)\(state)"
            }
            if let underlying = error.underlying { return describe(underlying) }
            return "\(error.code)"
        case let error as NIOConnectionError:
            if let failure = error.connectionErrors.first { return "\(error.host):\(error.port): \(describe(failure.error))" }
            if let dns = error.dnsAError ?? error.dnsAAAAError { return describe(dns) }
            return "\(error.host):\(error.port): no address to connect to"
        case let error as SocketAddressError.UnknownHost:
            return "the name \(error.host) does not resolve"
        case let error as IOError:
            return String(cString: strerror(error.errnoCode)).lowercased()
        default:
            return String(describing: error)
        }
    }
}
