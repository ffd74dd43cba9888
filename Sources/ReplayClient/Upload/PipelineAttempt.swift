import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import SpoolFormat
import SpoolProtocol

/// Set once the endpoint has shown that it does not take pipelines: from then on every entry
/// of the run goes in a request of its own, and the user is told once.
final class PipelineRefusal: Sendable {
    private let reason = NIOLockedValueBox<String?>(nil)

    var refused: Bool { reason.withLockedValue { $0 != nil } }

    /// Records why; returns true the first time only.
    func refuse(_ why: String) -> Bool {
        reason.withLockedValue {
            guard $0 == nil else { return false }
            $0 = why
            return true
        }
    }
}

extension Uploader {
    /// The largest pipeline body sent: a quarter of the reference receiver's default body limit,
    /// so that an endpoint with a smaller limit is unlikely to refuse one.
    static let maxPipelineBytes = 256 * 1024

    /// One attempt of each of `works`, sent in pipelines of at most ``maxPipelineBytes``
    /// (docs/PROTOCOL.md, section 7); a single entry, or every entry once the endpoint has refused
    /// a pipeline, in a request of its own.
    func attempt(
        _ works: [Ledger.Work], client: HTTPClient, trust: TrustSource, refusal: PipelineRefusal, sent: NIOLockedValueBox<Int>
    ) async -> [Event] {
        var events: [Event] = []
        events.reserveCapacity(works.count)
        guard works.count > 1, !refusal.refused else {
            for work in works { events.append(await attempt(work, client: client, trust: trust)) }
            return events
        }
        var ready: [(work: Ledger.Work, request: EntryRequest, bytes: [UInt8])] = []
        let host = Self.authority(of: options.endpoint)
        for work in works {
            switch prepare(work, trust: trust) {
            case .success(let entry):
                let request = EntryRequest(entry: entry)
                ready.append((work, request, EntryPipeline.encode([request], host: host)))
            case .failure(let quarantined):
                events.append(quarantined.event)
            }
        }
        var first = 0
        while first < ready.count {
            var end = first + 1
            var bytes = ready[first].bytes.count
            while end < ready.count, bytes + ready[end].bytes.count <= Self.maxPipelineBytes {
                bytes += ready[end].bytes.count
                end += 1
            }
            events += await send(pipeline: ready[first..<end], client: client, refusal: refusal, sent: sent)
            first = end
        }
        return events
    }

    private func send(
        pipeline: ArraySlice<(work: Ledger.Work, request: EntryRequest, bytes: [UInt8])>, client: HTTPClient, refusal: PipelineRefusal,
        sent: NIOLockedValueBox<Int>
    ) async -> [Event] {
        func oneByOne() async -> [Event] {
            var events: [Event] = []
            for item in pipeline { events.append(await send(item.request, of: item.work, client: client)) }
            return events
        }
        guard pipeline.count > 1, !refusal.refused else { return await oneByOne() }
        let started = Date()
        var request = HTTPClientRequest(url: pipeline.first!.request.url(endpoint: options.endpoint.absoluteString))
        request.method = .POST
        request.headers.add(name: EntryHeaders.contentType, value: EntryPipeline.contentType)
        var body = ByteBuffer()
        body.reserveCapacity(pipeline.reduce(0) { $0 + $1.bytes.count })
        for item in pipeline { body.writeBytes(item.bytes) }
        request.body = .bytes(body)
        sent.withLockedValue { $0 += 1 }
        let status: Int
        let retryAfter: String?
        let text: String
        do {
            // Each result is a few hundred bytes; a refusal's message a few more.
            (status, retryAfter, text) = try await exchange(request, client: client, maxAnswer: 4 << 20)
        } catch {
            return pipeline.map { failure(of: $0.work, started: started, error) }
        }
        // 501 Not Implemented: the endpoint says it does not do this, which no retry changes.
        switch status == 501 ? .permanent : RetryPolicy.verdict(status: status) {
        case .retry:
            // The endpoint is busy or failing: each entry waits as if it had been answered so.
            let message = Self.errorMessage(text)
            return pipeline.map { outcome(of: $0.work, started: started, status: status, retryAfter: retryAfter, message: message) }
        case .permanent, .delivered:
            guard status == 200, let results = Self.results(text, for: pipeline.map(\.work)) else {
                let why =
                    status == 200
                    ? "HTTP 200 without a pipeline answer" : "HTTP \(status)" + (Self.errorMessage(text).map { ": \($0)" } ?? "")
                if refusal.refuse(why) {
                    options.report?("the endpoint did not take several entries per request (\(why)); sending one entry per request")
                }
                return await oneByOne()
            }
            return zip(pipeline, results).map { item, result in
                outcome(of: item.work, started: started, status: result.status, retryAfter: nil, message: result.answer.errorText)
            }
        }
    }

    /// The results of a pipeline answer, when it is one for exactly these entries: as many
    /// results as requests sent, each naming the digest sent in its place.
    static func results(_ text: String, for works: [Ledger.Work]) -> [EntryPipelineAnswer.Result]? {
        guard let answer = try? JSONDecoder().decode(EntryPipelineAnswer.self, from: Data(text.utf8)),
            answer.results.count == works.count,
            zip(answer.results, works).allSatisfy({ $0.key == $1.digest.description })
        else { return nil }
        return answer.results
    }

    /// `host` or `host:port` of the endpoint, for the `Host` field of each request in a pipeline.
    static func authority(of endpoint: URL) -> String {
        let host = endpoint.host ?? "localhost"
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return endpoint.port.map { "\(bracketed):\($0)" } ?? bracketed
    }
}
