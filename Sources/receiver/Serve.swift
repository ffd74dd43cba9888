import ArgumentParser
import CommandLineSupport
import Foundation
import Hummingbird
import Logging
import ReceiverServer
import SpoolFormat

extension ReceiverCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve the entry endpoint, the dashboard (GET /), GET /summary, GET /metrics and GET /reports.ndjson.",
            discussion: """
                Prints 'listening on http://HOST:PORT' on standard output once it accepts requests.
                Without --allowed-signers, each installation's first key is pinned (trust on first use).
                With --admin-token-file, GET /, /summary, /metrics and /reports.ndjson need
                'Authorization: Bearer TOKEN'; without it the receiver listens on loopback only.

                """ + ExitStatus.help)

        @Option(help: "The address to listen on.")
        var host = "127.0.0.1"

        @Option(help: "The port to listen on; 0 picks a free port.")
        var port = 8080

        @Option(help: ArgumentHelp("The SQLite database that stores reports (created if absent; default receiver.sqlite).", valueName: "file"))
        var db: String?

        @Option(
            help: ArgumentHelp(
                "Store reports in this PostgreSQL database instead of SQLite; the password from the URL or PGPASSWORD. Several receivers may share it.",
                valueName: "postgres://USER@HOST:PORT/DB"))
        var database: String?

        @Option(name: .customLong("allowed-signers"), help: "An OpenSSH allowed_signers file: only these keys may sign, for their installations.")
        var allowedSigners: String?

        @Option(name: .customLong("max-body-bytes"), help: "Bodies larger than this are answered 413.")
        var maxBodyBytes = 1 << 20

        @Option(
            name: .customLong("header-timeout"),
            help: ArgumentHelp("Close a connection whose request head is not complete this long after its first byte.", valueName: "seconds"))
        var headerTimeout = 10.0

        @Option(
            name: .customLong("body-timeout"),
            help: ArgumentHelp("Close a connection whose request body is not complete this long after its head.", valueName: "seconds"))
        var bodyTimeout = 30.0

        @Option(name: .customLong("idle-timeout"), help: ArgumentHelp("Close a connection with no request under way for this long.", valueName: "seconds"))
        var idleTimeout = 60.0

        @Option(name: .customLong("max-connections"), help: "Connections open at once; more wait in the listen backlog (logged when reached).")
        var maxConnections = 512

        @Option(
            name: .customLong("shutdown-timeout"),
            help: ArgumentHelp("After SIGTERM or SIGINT, requests under way get this long, then remaining connections are closed.", valueName: "seconds"))
        var shutdownTimeout = 5.0

        @Option(name: .customLong("tls-certificate"), help: ArgumentHelp("Serve HTTPS with this PEM certificate chain (with --tls-key).", valueName: "file"))
        var tlsCertificate: String?

        @Option(name: .customLong("tls-key"), help: ArgumentHelp("The PEM private key of --tls-certificate.", valueName: "file"))
        var tlsKey: String?

        @Option(
            name: .customLong("admin-token-file"),
            help: ArgumentHelp(
                "A file only its owner can read, holding the bearer token of GET /, /summary, /metrics and /reports.ndjson (required beyond loopback).",
                valueName: "file"))
        var adminTokenFile: String?

        @OptionGroup(title: "Fault injection (for tests)")
        var faults: FaultOptions

        func validate() throws {
            try BoundedOption.check(port, "--port", in: BoundedOption.port)
            try BoundedOption.check(maxBodyBytes, "--max-body-bytes", in: 1_024...(1 << 30), unit: "bytes")
            try BoundedOption.check(headerTimeout, "--header-timeout", in: BoundedOption.seconds, unit: "seconds")
            try BoundedOption.check(bodyTimeout, "--body-timeout", in: BoundedOption.seconds, unit: "seconds")
            try BoundedOption.check(idleTimeout, "--idle-timeout", in: BoundedOption.seconds, unit: "seconds")
            try BoundedOption.check(maxConnections, "--max-connections", in: 1...1_000_000)
            try BoundedOption.check(shutdownTimeout, "--shutdown-timeout", in: 0...3_600, unit: "seconds")
            if adminTokenFile == nil, !ListeningAddress.isLoopback(host) {
                do {
                    try ListeningAddress.checkAdminAccess(host: host, token: nil)
                } catch {
                    throw ValidationError(error.description)
                }
            }
            guard db == nil || database == nil else {
                throw ValidationError("--db (SQLite) and --database (PostgreSQL) name two stores: pass one of them")
            }
            if let database {
                do {
                    _ = try PostgresLocation(url: database)
                } catch {
                    throw ValidationError("\(error)")
                }
            }
            guard (tlsCertificate == nil) == (tlsKey == nil) else {
                throw ValidationError("--tls-certificate and --tls-key go together: pass both to serve HTTPS, or neither for HTTP")
            }
        }

        func run() async throws {
            var logger = Logger(label: "receiver")
            logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            let signers: AllowedSigners?
            do {
                signers = try allowedSigners.map { try AllowedSigners(contentsOf: $0) }
            } catch {
                throw RuntimeFailure("--allowed-signers: \(error)")
            }
            let adminToken: AdminToken?
            do {
                adminToken = try adminTokenFile.map { try AdminToken(contentsOf: $0) }
            } catch {
                throw RuntimeFailure("--admin-token-file: \(error)")
            }
            let configuration = ReceiverConfiguration(
                host: host, port: port, databasePath: db ?? "receiver.sqlite", postgres: try database.map { try PostgresLocation(url: $0) },
                allowedSigners: signers,
                maxBodyBytes: maxBodyBytes, faults: faults.injection,
                tls: tlsCertificate.map { ReceiverConfiguration.TLSFiles(certificateChain: $0, privateKey: tlsKey!) },
                limits: ConnectionLimits(
                    headerTimeout: .seconds(headerTimeout), bodyTimeout: .seconds(bodyTimeout), idleTimeout: .seconds(idleTimeout),
                    maxConnections: maxConnections, shutdownTimeout: .seconds(shutdownTimeout)),
                adminToken: adminToken)
            let trust = signers == nil ? "trust on first use" : "allowed signers \(allowedSigners!)"
            let app = try await buildApplication(configuration, logger: logger) { url in
                let store = configuration.postgres?.description ?? PrintableText.path(configuration.databasePath)
                print("listening on \(url) (database \(store), \(trust))")
                fflush(nil)  // all output streams: `stdout` is a global Swift 6 cannot share
            }
            try await serve(app, limits: configuration.limits, logger: logger)
        }
    }

    struct FaultOptions: ParsableArguments {
        @Option(name: .customLong("fail-rate"), help: "Fraction of entry requests (0...1) answered with --fail-status, unstored.")
        var failRate = 0.0

        @Option(name: .customLong("fail-status"), help: "The status of injected failures.")
        var failStatus = 503

        @Option(name: .customLong("fail-count"), help: "Inject at most this many failures, then none.")
        var failCount: Int?

        @Option(name: .customLong("retry-after"), help: "Retry-After on injected failures: N seconds, or http-date:N for an HTTP date N seconds ahead.")
        var retryAfter: String?

        @Option(name: .customLong("delay-ms"), help: "Delay every entry request by this many milliseconds.")
        var delayMs = 0

        @Option(
            name: .customLong("drop-rate"), help: "Fraction of entry requests (0...1) whose connection is closed unanswered (half before, half after storing).")
        var dropRate = 0.0

        func validate() throws {
            try BoundedOption.check(failRate, "--fail-rate", in: 0...1)
            try BoundedOption.check(dropRate, "--drop-rate", in: 0...1)
            try BoundedOption.check(failStatus, "--fail-status", in: 100...599)
            try BoundedOption.check(failCount, "--fail-count", in: 0...Int(Int32.max))
            try BoundedOption.check(delayMs, "--delay-ms", in: 0...3_600_000, unit: "milliseconds")
            if let retryAfter, RetryAfterValue(argument: retryAfter) == nil {
                throw ValidationError("--retry-after '\(retryAfter)' is neither seconds (e.g. 2) nor http-date:SECONDS (e.g. http-date:2)")
            }
        }

        var injection: FaultInjection {
            FaultInjection(
                failRate: failRate, failStatus: failStatus, failCount: failCount,
                retryAfter: retryAfter.flatMap(RetryAfterValue.init(argument:)),
                delayMilliseconds: delayMs, dropRate: dropRate)
        }
    }
}
