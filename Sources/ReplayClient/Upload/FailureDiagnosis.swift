import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
    import Glibc
#endif

/// What a request that got no answer ran into, said so that a user can act on it: a clean
/// one-line message, and the likely fix.
///
/// AsyncHTTPClient and NIO report failures as nested error values whose descriptions read badly
/// ("connection reset (error set): Connection refused) (errno: 111)"); this maps the ones a user
/// meets to sentences. Three mean the endpoint or its trust is wrong rather than busy: a refused
/// connection, a name that does not resolve, a certificate that does not verify. When one of them
/// is what the first request of a run meets, retrying cannot help, so the run ends at once
/// (``FailureWatch``).
public struct FailureDiagnosis: Sendable, Hashable, CustomStringConvertible {
    public enum Cause: String, Sendable {
        case connectionRefused, unresolvableHost, certificateUntrusted, hostnameMismatch, tlsHandshake
        case connectTimeout, requestTimeout, connectionClosed, unreachable, other
    }

    public var cause: Cause
    /// What happened, naming the host.
    public var message: String
    /// What to do about it, if we know.
    public var hint: String?

    public var description: String { hint.map { "\(message); \($0)" } ?? message }

    /// Whether the cause is one retrying cannot mend: the endpoint's address or trust is wrong.
    public var isConfigurationProblem: Bool {
        switch cause {
        case .connectionRefused, .unresolvableHost, .certificateUntrusted, .hostnameMismatch: return true
        default: return false
        }
    }

    /// Classifies `error`, thrown by a request to `endpoint`.
    /// - Parameter caFile: the `--ca-file` in use, if any: the fix for an untrusted certificate differs.
    public init(_ error: any Error, endpoint: URL, caFile: String?) {
        let target = Self.target(endpoint)
        switch error {
        case let error as RequestTimeLimit:
            self.init(cause: .requestTimeout, message: "\(target): \(error)")
        case let error as NIOConnectionError:
            if let dns = error.dnsAError ?? error.dnsAAAAError, error.connectionErrors.isEmpty {
                self = Self.unresolvable(error.host, dns)
            } else if !error.connectionErrors.isEmpty, error.connectionErrors.allSatisfy({ Self.errno(of: $0.error) == ECONNREFUSED }) {
                self = Self.refused(target)
            } else if let first = error.connectionErrors.first {
                self.init(first.error, endpoint: endpoint, caFile: caFile)
            } else {
                self.init(cause: .other, message: "cannot connect to \(target)")
            }
        case let error as SocketAddressError.UnknownHost:
            self = Self.unresolvable(error.host, error)
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED: self = Self.refused(target)
            case ENETUNREACH, EHOSTUNREACH:
                self.init(
                    cause: .unreachable, message: "cannot reach \(target): \(Self.strerror(error.errnoCode))", hint: "check the network route to the endpoint")
            case ECONNRESET, EPIPE:
                self.init(cause: .connectionClosed, message: "\(target) closed the connection: \(Self.strerror(error.errnoCode))")
            default:
                self.init(cause: .other, message: "network error with \(target): \(Self.strerror(error.errnoCode))")
            }
        case let error as NIOSSLError:
            if case .handshakeFailed(let ssl) = error, String(describing: ssl).contains("CERTIFICATE_VERIFY_FAILED") {
                self.init(
                    cause: .certificateUntrusted,
                    message: "the TLS certificate of \(target) does not verify (not signed by a trusted CA)",
                    hint: caFile.map { "check that --ca-file \($0) holds the CA that signed the endpoint's certificate" }
                        ?? "if the endpoint uses a site's own CA, pass its certificate with --ca-file FILE")
            } else {
                self.init(cause: .tlsHandshake, message: "the TLS handshake with \(target) failed (\(Self.sslSummary(error)))")
            }
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            self.init(
                cause: .hostnameMismatch,
                message: "the TLS certificate of \(target) is not made out to \(endpoint.host ?? "the endpoint's host")",
                hint: "use the host name the certificate names in --endpoint")
        case let error as HTTPClientError:
            switch error {
            case .connectTimeout, .tlsHandshakeTimeout:
                self.init(cause: .connectTimeout, message: "no connection to \(target) within --connect-timeout", hint: "check --endpoint and the network")
            case .remoteConnectionClosed:
                self.init(cause: .connectionClosed, message: "\(target) closed the connection before answering")
            case .proxyAuthenticationRequired, .invalidProxyResponse, .httpProxyHandshakeTimeout, .socksHandshakeTimeout:
                self.init(cause: .other, message: "the proxy refused to connect to \(target): \(error)", hint: "check HTTPS_PROXY / HTTP_PROXY and NO_PROXY")
            default:
                self.init(cause: .other, message: "request to \(target) failed: \(error)")
            }
        default:
            self.init(cause: .other, message: "request to \(target) failed: \(String(describing: error).prefix(300))")
        }
    }

    init(cause: Cause, message: String, hint: String? = nil) {
        self.cause = cause
        self.message = message
        self.hint = hint
    }

    private static func refused(_ target: String) -> FailureDiagnosis {
        FailureDiagnosis(
            cause: .connectionRefused, message: "connection refused by \(target): nothing accepts connections there",
            hint: "check --endpoint, and that the endpoint (receiver) is running")
    }

    private static func unresolvable(_ host: String, _ error: any Error) -> FailureDiagnosis {
        let reason = (error as? SocketAddressError.UnknownHost)?.errorDescription ?? "\(error)"
        return FailureDiagnosis(
            cause: .unresolvableHost, message: "cannot resolve the host name '\(host)' (\(reason))",
            hint: "check the host in --endpoint, and DNS or HTTPS_PROXY on this machine")
    }

    /// `host:port` of the endpoint, as a user wrote it.
    private static func target(_ endpoint: URL) -> String {
        let host = endpoint.host ?? "?"
        let port = endpoint.port ?? (endpoint.scheme?.lowercased() == "https" ? 443 : 80)
        return "\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    private static func errno(of error: any Error) -> CInt? { (error as? IOError)?.errnoCode }

    private static func strerror(_ code: CInt) -> String { String(cString: Glibc.strerror(code)) }

    /// The BoringSSL reason of a TLS failure (such as `WRONG_VERSION_NUMBER`), without its source path.
    private static func sslSummary(_ error: NIOSSLError) -> String {
        let text = String(describing: error)
        let reasons = text.split(whereSeparator: { " :[]()".contains($0) }).filter { part in
            part.count > 3 && part.allSatisfy { $0.isUppercase || $0 == "_" || $0.isNumber } && part.contains("_")
        }
        return reasons.first.map(String.init) ?? String(text.prefix(200))
    }
}
