import Foundation
import Hummingbird
import NIOCore
import SpoolFormat
import SpoolProtocol

extension EntryReceiver {
    /// Whether `request` carries several entry requests (docs/PROTOCOL.md section 7): a POST whose
    /// `Content-Type` is `application/http`. An entry's own content type never is (format 1 sends
    /// `application/json`), so nothing else is read this way.
    static func isPipeline(_ request: Request) -> Bool {
        guard request.method == .post, let type = request.headers[.contentType] else { return false }
        return type.split(separator: ";", maxSplits: 1)[0].trimmingCharacters(in: .whitespaces).lowercased() == EntryPipeline.contentType
    }

    /// Answers a pipeline: each entry request is checked exactly as if it had come alone, the
    /// entries that pass are stored in one transaction (shared with other requests'), and the
    /// answer gives each request, in order, the status and body it would have had alone.
    func receivePipeline(_ body: ByteBuffer, decision: FaultInjector.Decision, context: ReceiverContext) async throws -> Response {
        let requests: [EntryRequest]
        do {
            requests = try EntryPipelineReader.requests(in: body)
        } catch {
            throw Refusal(status: .badRequest, code: "pipeline_malformed", message: error.description)
        }
        var answers: [EntryAnswerBody?] = []
        var entries: [SpoolEntry] = []
        var entryIndex: [Int] = []
        answers.reserveCapacity(requests.count)
        for request in requests {
            do {
                let entry = try reader.read(request)
                entryIndex.append(answers.count)
                entries.append(entry)
                answers.append(nil)
            } catch {
                answers.append(.refused(Refusal(error)))
            }
        }
        let outcomes = try await committer.submit(entries.map(ReceivedEntry.init(entry:)))
        if decision == .dropAfter { return drop(context) }
        for (index, (entry, outcome)) in zip(entryIndex, zip(entries, outcomes)) {
            answers[index] = Self.answer(outcome, for: entry)
        }
        var json: [UInt8] = Array("{\"results\":[".utf8)
        json.reserveCapacity(answers.count * 160)
        // Every request has its answer by now: a refusal, or its entry's outcome.
        for (request, answer) in zip(requests, answers) {
            guard let answer else { continue }
            counters.count(answer.status.code)
            if json.last != UInt8(ascii: "[") { json.append(UInt8(ascii: ",")) }
            json += Array("{\"answer\":".utf8)
            json += answer.json
            // Only a well-formed digest is echoed: it needs no escapes.
            let key = request.header(EntryHeaders.idempotencyKey).flatMap(EntryDigest.init).map { "\"\($0)\"" } ?? "null"
            json += Array(",\"key\":\(key),\"status\":\(answer.status.code)}".utf8)
        }
        json += Array("]}".utf8)
        return Self.response(EntryAnswerBody(status: .ok, json: json))
    }
}
