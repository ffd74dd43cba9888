import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import ServiceLifecycle
import SpoolFormat
import SpoolProtocol
import UnixSignals

/// Builds the receiver: the entry routes, the admin pages (`GET /`, `/summary`, `/metrics`,
/// `/reports.ndjson`), the store and fault injection.
///
/// Used by the `receiver` executable and by tests, which can drive it with HummingbirdTesting.
/// - Parameters:
///   - configuration: address, database, trust, body limit and faults.
///   - logger: the application's logger.
///   - onListening: called with the base URL once the server listens (e.g. `http://127.0.0.1:PORT`).
/// - Throws: when the database (SQLite, or PostgreSQL when `configuration.postgres` is set) cannot be
///   opened or migrated, the TLS files cannot be read, or the receiver would listen beyond loopback
///   without an admin token.
public func buildApplication(
    _ configuration: ReceiverConfiguration, logger: Logger,
    onListening: @escaping @Sendable (String) -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    try ListeningAddress.checkAdminAccess(host: configuration.host, token: configuration.adminToken)
    let store: any ReportStore
    var services: [any Service] = []
    if let postgres = configuration.postgres {
        let postgresStore = try await PostgresReportStore(postgres, logger: logger)
        // The pool runs beside the HTTP server and is shut down after it.
        services.append(postgresStore.client)
        store = postgresStore
    } else {
        store = try SQLiteReportStore(path: configuration.databasePath)
    }
    let metrics = ReceiverMetrics()
    let receiver = EntryReceiver(configuration: configuration, store: store, metrics: metrics, logger: logger)
    let router = Router(context: ReceiverContext.self)
    router.add(middleware: MetricsMiddleware(metrics: metrics))
    AdminRoutes(store: store, receiver: receiver, metrics: metrics, token: configuration.adminToken, logger: logger).register(on: router)
    router.on("**", method: .post) { request, context in await receiver.receive(request, context: context) }
    router.on("**", method: .put) { request, context in await receiver.receive(request, context: context) }
    let host = configuration.host
    let limits = configuration.limits
    let idle = IdleConnections()
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [RequestDeadlines(limits: limits, idle: idle, logger: logger)],
        idleTimeout: TimeAmount.nanoseconds(Int64(limits.idleTimeout.seconds * 1e9)))
    var server: HTTPServerBuilder = .http1(configuration: http1)
    if let files = configuration.tls {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificateChain)
            key = try NIOSSLPrivateKey(file: files.privateKey, format: .pem)
        } catch {
            throw ReceiverTLSError(description: "cannot read the TLS certificate chain \(files.certificateChain) or key \(files.privateKey) as PEM (\(error))")
        }
        guard !chain.isEmpty else { throw ReceiverTLSError(description: "\(files.certificateChain) holds no PEM certificate") }
        server = try .tls(
            .http1(configuration: http1),
            tlsConfiguration: .makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
    }
    let scheme = configuration.tls == nil ? "http" : "https"
    return Application(
        router: router,
        server: server,
        configuration: .init(
            address: .hostname(host, port: configuration.port), serverName: "telemetry-spool-receiver",
            availableConnectionsDelegate: ConnectionCap(maximum: limits.maxConnections, idle: idle, logger: logger)),
        services: services,
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            onListening("\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)")
        },
        logger: logger
    )
}

/// Runs the receiver until SIGTERM or SIGINT; then requests under way get the shutdown timeout
/// to finish, and whatever is still open (stalled clients) is closed, so the process always exits.
public func serve(_ application: some ApplicationProtocol, limits: ConnectionLimits, logger: Logger) async throws {
    var configuration = ServiceGroupConfiguration(services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    configuration.maximumGracefulShutdownDuration = limits.shutdownTimeout
    configuration.maximumCancellationDuration = .seconds(2)
    try await ServiceGroup(configuration: configuration).run()
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

public struct ReceiverTLSError: Error, CustomStringConvertible {
    public var description: String
}

/// Handles entry requests: faults, body limit, verification, storage, answers.
final class EntryReceiver: Sendable {
    let configuration: ReceiverConfiguration
    let store: any ReportStore
    let committer: GroupCommit
    let reader: EntryRequestReader
    let faults: FaultInjector
    let counters = RequestCounters()
    let metrics: ReceiverMetrics
    let logger: Logger

    init(configuration: ReceiverConfiguration, store: any ReportStore, metrics: ReceiverMetrics, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.metrics = metrics
        self.logger = logger
        let pinKeys = configuration.allowedSigners == nil
        committer = GroupCommit(store: store, pinKeys: pinKeys)
        // Under trust on first use the pins live in the store, which checks and records them in the
        // transaction that stores the entry: the signature check knows no pins.
        reader = EntryRequestReader(trust: configuration.allowedSigners.map { $0 as any SignerTrust } ?? FirstUseTrust())
        faults = FaultInjector(configuration.faults)
    }

    func summaryResponse() async throws -> Response {
        var summary = try await store.summary()
        summary.requests = counters.snapshot()
        return Self.json(summary, status: .ok)
    }

    func receive(_ request: Request, context: ReceiverContext) async -> Response {
        var request = request
        let decision = faults.decide()
        if configuration.faults.delayMilliseconds > 0 {
            try? await Task.sleep(for: .milliseconds(configuration.faults.delayMilliseconds))
        }
        if decision == .dropBefore {
            return drop(context)
        }
        if decision == .fail {
            var headers: HTTPFields = [:]
            if let retryAfter = configuration.faults.retryAfter { headers[.retryAfter] = retryAfter.headerValue() }
            let status = HTTPResponse.Status(code: configuration.faults.failStatus)
            return answer(Refusal(status: status, code: "injected_fault", message: "fault injected by the receiver (--fail-rate)", headers: headers))
        }
        do {
            let limit = configuration.maxBodyBytes
            let declaredLength = request.headers[.contentLength].flatMap(Int.init)
            if let length = declaredLength, length > limit {
                throw Refusal(status: .contentTooLarge, code: "body_too_large", message: "the body has \(length) bytes, more than the limit of \(limit)")
            }
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: limit)
            } catch is NIOTooManyBytesError {
                throw Refusal(status: .contentTooLarge, code: "body_too_large", message: "the body is larger than the limit of \(limit) bytes")
            } catch HTTPParserError.invalidEOFState {
                // The connection closed mid-body: the decoder's word for a client that left.
                return abandoned(nil)
            } catch let error as HTTPParserError {
                // Bad chunk sizes and the like: the client's fault, never the store's.
                throw Refusal(status: .badRequest, code: "malformed_request", message: "the request is not valid HTTP/1.1 (\(error))")
            } catch {
                return abandoned(error)
            }
            // A body cut short can end like a complete one: its declared length tells them apart.
            if declaredLength.map({ body.readableBytes < $0 }) == true {
                return abandoned(nil)
            }
            if Self.isPipeline(request) {
                return try await receivePipeline(body, decision: decision, context: context)
            }
            let entry: SpoolEntry
            do {
                entry = try reader.read(EntryRequest(request, body: Array(buffer: body)))
            } catch {
                throw Refusal(error)
            }
            let outcome = try await committer.submit([ReceivedEntry(entry: entry)])[0]
            if decision == .dropAfter { return drop(context) }
            let answer = Self.answer(outcome, for: entry)
            counters.count(answer.status.code)
            return Self.response(answer)
        } catch let refusal as Refusal {
            return answer(refusal)
        } catch {
            logger.info("cannot store entry; answered 500", metadata: ["error": "\(error)"])
            metrics.countStoreError(.write)
            return answer(Refusal(status: .internalServerError, code: "store_failed", message: "the receiver could not store the entry"))
        }
    }

    /// The connection ended before the body did (the client left, a timeout closed it, or
    /// shutdown cut it short): nobody is left to answer, and the store is not at fault.
    private func abandoned(_ error: (any Error)?) -> Response {
        logger.info(
            Task.isCancelled ? "request cut short by shutdown" : "client went away before its request was complete",
            metadata: error.map { ["error": "\($0)"] } ?? [:])
        counters.countAbandoned()
        return Response(status: .badRequest)
    }

    func drop(_ context: ReceiverContext) -> Response {
        counters.countDrop()
        context.channel.close(mode: .all, promise: nil)
        return Response(status: .internalServerError)
    }

    /// The status and body answering an entry request, once storing it came to `outcome`.
    static func answer(_ outcome: StoreOutcome, for entry: SpoolEntry) -> EntryAnswerBody {
        switch outcome {
        case .stored:
            return .taken(.created, "stored", entry.digest)
        case .duplicate:
            return .taken(.ok, "duplicate", entry.digest)
        case .conflict(let existing):
            return .refused(
                Refusal(
                    status: .conflict, code: "sequence_conflict",
                    message:
                        "installation \(entry.metadata.installation) sequence \(entry.metadata.sequence) is stored with digest \(existing), not \(entry.digest)"
                ))
        case .foreignKey(let pinned):
            return .refused(
                Refusal(
                    status: .forbidden, code: "key_not_pinned",
                    message:
                        "installation \(entry.metadata.installation) is pinned to key \(pinned), but this entry is signed by \(entry.signature.publicKey.fingerprint)"
                ))
        }
    }

    static func response(_ answer: EntryAnswerBody, headers: HTTPFields = [:]) -> Response {
        var fields: HTTPFields = [.contentType: "application/json"]
        fields.append(contentsOf: headers)
        var body = ByteBuffer(bytes: answer.json)
        body.writeInteger(UInt8(ascii: "\n"))
        return Response(status: answer.status, headers: fields, body: .init(byteBuffer: body))
    }

    private func answer(_ refusal: Refusal) -> Response {
        counters.count(refusal.status.code)
        return Self.response(.refused(refusal), headers: refusal.headers)
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status) -> Response {
        response(EntryAnswerBody(status: status, json: EntryAnswerBody.json(value)))
    }
}

/// Entry requests answered since start, by status.
final class RequestCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var requests = ReceiverSummary.Requests()

    func count(_ status: Int) {
        lock.lock()
        defer { lock.unlock() }
        requests.total += 1
        requests.byStatus[String(status), default: 0] += 1
    }

    func countAbandoned() {
        lock.lock()
        defer { lock.unlock() }
        requests.total += 1
        requests.abandoned += 1
    }

    func countDrop() {
        lock.lock()
        defer { lock.unlock() }
        requests.total += 1
        requests.dropped += 1
    }

    func snapshot() -> ReceiverSummary.Requests {
        lock.lock()
        defer { lock.unlock() }
        return requests
    }
}
