import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL

/// How the uploader talks HTTP: TLS verification (always on), an extra CA, proxy, timeouts.
public struct HTTPSettings: Sendable {
    /// A PEM file of CA certificates trusted in addition to the system's (a site's own CA).
    public var caFile: String?
    public var connectTimeout: TimeInterval
    /// The limit for the whole exchange of one request, answer included.
    public var requestTimeout: TimeInterval
    /// Where `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` are read (either case).
    public var environment: [String: String]

    public init(
        caFile: String? = nil, connectTimeout: TimeInterval = 10, requestTimeout: TimeInterval = 30,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.caFile = caFile
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.environment = environment
    }

    /// The proxy for `endpoint`: `HTTPS_PROXY` for https (`HTTP_PROXY` for http), unless the host
    /// matches `NO_PROXY` (comma-separated host names or domain suffixes; `*` matches all).
    public func proxy(for endpoint: URL) throws -> HTTPClient.Configuration.Proxy? {
        let scheme = endpoint.scheme?.lowercased() ?? "https"
        let name = scheme == "https" ? "HTTPS_PROXY" : "HTTP_PROXY"
        guard let value = variable(name), !value.isEmpty else { return nil }
        if let host = endpoint.host, Self.bypassesProxy(host: host, noProxy: variable("NO_PROXY") ?? "") { return nil }
        let text = value.contains("://") ? value : "http://" + value
        guard let url = URL(string: text), let host = url.host, url.scheme?.lowercased() == "http" else {
            throw HTTPSettingsError("\(name) '\(value)' is not an http:// proxy URL like http://proxy.example:3128")
        }
        let port = url.port ?? 80
        if let user = url.user {
            return .server(
                host: host, port: port,
                authorization: .basic(
                    username: user.removingPercentEncoding ?? user,
                    password: url.password?.removingPercentEncoding ?? ""))
        }
        return .server(host: host, port: port)
    }

    private func variable(_ name: String) -> String? {
        environment[name] ?? environment[name.lowercased()]
    }

    public static func bypassesProxy(host: String, noProxy: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        for raw in noProxy.split(separator: ",") {
            var pattern = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if pattern.isEmpty { continue }
            if pattern == "*" { return true }
            if let colon = pattern.lastIndex(of: ":"), !pattern.contains("]"), pattern.filter({ $0 == ":" }).count == 1 {
                pattern = String(pattern[..<colon])
            }
            pattern = pattern.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            if pattern.hasPrefix("*.") { pattern.removeFirst() }
            if pattern.hasPrefix(".") { pattern.removeFirst() }
            if host == pattern || host.hasSuffix("." + pattern) { return true }
        }
        return false
    }

    /// The CA certificates of a `--ca-file`.
    /// - Throws: ``HTTPSettingsError`` naming the file when it holds no readable PEM certificate.
    public static func certificates(caFile: String) throws -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(caFile)
        } catch {
            throw HTTPSettingsError("--ca-file \(caFile): cannot read PEM certificates (\(error)); pass a PEM file holding the site's CA certificate")
        }
        guard !certificates.isEmpty else { throw HTTPSettingsError("--ca-file \(caFile) holds no PEM certificate") }
        return certificates
    }

    /// One client for the whole run: keep-alive connections, at most `concurrency` per host.
    public func makeClient(endpoint: URL, concurrency: Int) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let caFile {
            tls.additionalTrustRoots = [.certificates(try Self.certificates(caFile: caFile))]
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(Int64(connectTimeout * 1000)), read: .milliseconds(Int64(requestTimeout * 1000))),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency),
            proxy: try proxy(for: endpoint),
            decompression: .disabled)
        configuration.httpVersion = .automatic
        // A failed connection is an attempt like any other: the retry policy and the ledger decide.
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}

public struct HTTPSettingsError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
