import Foundation
import Hummingbird
import Logging
import NIOCore
import SpoolFormat

/// `GET /reports.ndjson?installation=ID&since=TIME`: stored entries, one JSON object a line,
/// in store order, read from the store a page at a time while the response is sent.
struct ReportExport: Sendable {
    /// Which entries to export.
    struct Query: Sendable, Equatable {
        var installation: String?
        /// Seconds since 1970: entries received at or after it.
        var since: Double?

        /// Reads the query string; every problem names its parameter.
        init(_ parameters: Parameters) throws(HTTPError) {
            for (name, _) in parameters where name != "installation" && name != "since" {
                throw HTTPError(.badRequest, message: "unknown parameter '\(name)': use installation=ID and since=TIME")
            }
            if let installation = try Self.single("installation", in: parameters) {
                guard !installation.isEmpty, installation.utf8.count <= 256, installation.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 })
                else {
                    throw HTTPError(.badRequest, message: "parameter 'installation' is not an installation ID (visible ASCII, 1 to 256 characters)")
                }
                self.installation = installation
            }
            if let since = try Self.single("since", in: parameters) {
                guard let seconds = Self.time(since) else {
                    throw HTTPError(
                        .badRequest,
                        message: "parameter 'since' is neither an RFC 3339 time (e.g. 2026-11-26T08:00:00Z) nor seconds since 1970 (e.g. 1795680000)")
                }
                self.since = seconds
            }
        }

        private static func single(_ name: String, in parameters: Parameters) throws(HTTPError) -> String? {
            let values = parameters.getAll(name)
            guard values.count <= 1 else { throw HTTPError(.badRequest, message: "parameter '\(name)' is given \(values.count) times") }
            return values.first.map { String($0) }
        }

        /// RFC 3339 (with or without fractional seconds), or non-negative seconds since 1970.
        static func time(_ text: String) -> Double? {
            if let seconds = Double(text), seconds.isFinite, seconds >= 0, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) {
                return seconds
            }
            for options: ISO8601DateFormatter.Options in [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds]] {
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = options
                if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
            }
            return nil
        }
    }

    let store: any ReportStore
    let logger: Logger
    /// Entries read from the store per query: bounds the memory a large export holds at once.
    var pageSize = 500

    func response(_ request: Request) throws -> Response {
        let query = try Query(request.uri.queryParameters)
        let store = self.store
        let pageSize = self.pageSize
        let logger = self.logger
        let body = ResponseBody { writer in
            var after: Int64 = 0
            do {
                while true {
                    let page = try await store.reports(installation: query.installation, receivedSince: query.since, after: after, limit: pageSize)
                    guard let last = page.last else { break }
                    var buffer = ByteBuffer()
                    for report in page { Self.line(report, into: &buffer) }
                    try await writer.write(buffer)
                    after = last.id
                }
            } catch {
                // The status is sent: closing the connection early is how the client learns.
                logger.info("export of stored reports ended early", metadata: ["error": "\(error)"])
                throw error
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: body)
    }

    private struct LineFields: Encodable {
        var id: Int64
        var digest: String
        var installation: String
        var sequence: Int64
        var kind: String
        var productVersion: String
        var created: String
        var receivedAt: Double
        var duplicates: Int
        /// Only for a body that is not JSON text (the receiver stores any signed body).
        var bodyBase64: String?
    }

    /// One entry as a line: its metadata, and its body as JSON (`body`), or, when the body is
    /// not JSON text, as base64 (`bodyBase64`).
    static func line(_ report: StoredReport, into buffer: inout ByteBuffer) {
        var body = report.body[...]
        while let last = body.last, last == 0x0a || last == 0x0d || last == 0x20 { body = body.dropLast() }
        let isJSON = (try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])) != nil
        let fields = LineFields(
            id: report.id, digest: report.digest, installation: report.installation, sequence: report.sequence, kind: report.kind,
            productVersion: report.productVersion, created: report.created, receivedAt: report.receivedAt, duplicates: report.duplicates,
            bodyBase64: isJSON ? nil : StrictBase64.encode(report.body))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var object = (try? encoder.encode(fields)).map { [UInt8]($0) } ?? [0x7b, 0x7d]
        if isJSON {
            // JSON text has raw line breaks only between tokens, so they can become spaces.
            object.removeLast()
            object.append(contentsOf: #","body":"#.utf8)
            object.append(contentsOf: body.map { $0 == 0x0a || $0 == 0x0d ? 0x20 : $0 })
            object.append(0x7d)
        }
        buffer.writeBytes(object)
        buffer.writeInteger(UInt8(0x0a))
    }
}
