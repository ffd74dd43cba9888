import Hummingbird
import Logging
import NIOCore
import SpoolFormat

/// The pages that show what arrived: `GET /` (dashboard), `/summary`, `/metrics` and
/// `/reports.ndjson`. With an admin token they need `Authorization: Bearer TOKEN`; entry
/// requests never do (entries are verified by signature).
struct AdminRoutes {
    let store: any ReportStore
    let receiver: EntryReceiver
    let metrics: ReceiverMetrics
    let token: AdminToken?
    let logger: Logger

    func register(on router: Router<ReceiverContext>) {
        let group = router.group()
        if let token { group.add(middleware: AdminAuthMiddleware(token: token)) }
        group.get("/") { _, _ in
            try await reading {
                let page = DashboardPage(summary: try await store.summary(), latest: try await store.latestReports())
                return Response(
                    status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: page.render())))
            }
        }
        group.get(RouterPath(RequestPath.summary)) { _, _ in try await reading { try await receiver.summaryResponse() } }
        group.get("/metrics") { _, _ in
            try await reading {
                let text = try await metrics.exposition(store: store, queueDepth: await receiver.committer.waiting)
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: text)))
            }
        }
        group.get("/reports.ndjson") { request, _ in try ReportExport(store: store, logger: logger).response(request) }
    }

    /// Runs a read of the store; a failure is counted, logged and answered 500 without details.
    private func reading(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as HTTPError {
            throw error
        } catch {
            metrics.countStoreError(.read)
            logger.info("cannot read the store; answered 500", metadata: ["error": "\(error)"])
            throw HTTPError(.internalServerError, message: "the receiver could not read its store")
        }
    }
}
