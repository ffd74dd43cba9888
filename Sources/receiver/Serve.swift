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
            abstract: "Serve the entry endpoint and GET /summary.",
            discussion: """
                Prints 'listening on http://HOST:PORT' on standard output once it accepts requests.
                Without --allowed-signers, each installation's first key is pinned (trust on first use).

                """ + ExitStatus.help)

        @Option(help: "The address to listen on.")
        var host = "127.0.0.1"

        @Option(help: "The port to listen on; 0 picks a free port.")
        var port = 8080

        @Option(help: "The SQLite database that stores reports (created if absent).")
        var db = "receiver.sqlite"

        @Option(name: .customLong("allowed-signers"), help: "An OpenSSH allowed_signers file: only these keys may sign, for their installations.")
        var allowedSigners: String?

        @Option(name: .customLong("max-body-bytes"), help: "Bodies larger than this are answered 413.")
        var maxBodyBytes = 1 << 20

        @Option(name: .customLong("tls-certificate"), help: ArgumentHelp("Serve HTTPS with this PEM certificate chain (with --tls-key).", valueName: "file"))
        var tlsCertificate: String?

        @Option(name: .customLong("tls-key"), help: ArgumentHelp("The PEM private key of --tls-certificate.", valueName: "file"))
        var tlsKey: String?

        @OptionGroup(title: "Fault injection (for tests)")
        var faults: FaultOptions

        func validate() throws {
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
            let configuration = ReceiverConfiguration(
                host: host, port: port, databasePath: db, allowedSigners: signers,
                maxBodyBytes: maxBodyBytes, faults: faults.injection,
                tls: tlsCertificate.map { ReceiverConfiguration.TLSFiles(certificateChain: $0, privateKey: tlsKey!) })
            let trust = signers == nil ? "trust on first use" : "allowed signers \(allowedSigners!)"
            let app = try await buildApplication(configuration, logger: logger) { url in
                print("listening on \(url) (database \(PrintableText.path(configuration.databasePath)), \(trust))")
                fflush(stdout)
            }
            try await app.runService()
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

        @Option(name: .customLong("drop-rate"), help: "Fraction of entry requests (0...1) whose connection is closed unanswered (half before, half after storing).")
        var dropRate = 0.0

        func validate() throws {
            guard (0...1).contains(failRate) else { throw ValidationError("--fail-rate \(failRate) is not between 0 and 1, e.g. --fail-rate 0.3") }
            guard (0...1).contains(dropRate) else { throw ValidationError("--drop-rate \(dropRate) is not between 0 and 1, e.g. --drop-rate 0.2") }
            guard (100...599).contains(failStatus) else { throw ValidationError("--fail-status \(failStatus) is not an HTTP status (100...599)") }
            guard delayMs >= 0 else { throw ValidationError("--delay-ms must not be negative") }
            if let retryAfter, RetryAfterValue(argument: retryAfter) == nil {
                throw ValidationError("--retry-after '\(retryAfter)' is neither seconds (e.g. 2) nor http-date:SECONDS (e.g. http-date:2)")
            }
        }

        var injection: FaultInjection {
            FaultInjection(failRate: failRate, failStatus: failStatus, failCount: failCount,
                           retryAfter: retryAfter.flatMap(RetryAfterValue.init(argument:)),
                           delayMilliseconds: delayMs, dropRate: dropRate)
        }
    }
}
