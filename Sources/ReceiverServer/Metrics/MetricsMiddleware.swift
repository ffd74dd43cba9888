import Hummingbird
import Prometheus

/// Counts every answer by route and status, and times entry requests.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ReceiverMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        // Entries arrive by POST or PUT on any path, alone or in pipelines; the admin pages are all GET.
        let route: ReceiverMetrics.Route =
            EntryReceiver.isPipeline(request) ? .pipeline : request.method == .post || request.method == .put ? .entry : .admin
        do {
            let response = try await next(request, context)
            record(route, response.status, since: start)
            return response
        } catch {
            record(route, (error as? any HTTPResponseError)?.status ?? .internalServerError, since: start)
            throw error
        }
    }

    private func record(_ route: ReceiverMetrics.Route, _ status: HTTPResponse.Status, since start: ContinuousClock.Instant) {
        metrics.countRequest(route, status: status)
        if route == .entry { metrics.ingestDuration.record(ContinuousClock.now - start) }
    }
}
