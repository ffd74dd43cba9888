/// Several entry requests carried by one HTTP request (docs/PROTOCOL.md, "7. Several entries per
/// request"), for endpoints that take them.
///
/// The body is an `application/http` message (RFC 9112, section 10.2): the entry requests one
/// after another, each exactly as ``EntryRequest`` sends it alone, in HTTP/1.1 message syntax
/// with a `Content-Length`. Each one is checked and stored as if it had come alone, and the answer
/// (``EntryPipelineAnswer``) gives each, in order, the status and the answer body it would have
/// had alone. Fewer requests per entry is all this changes: a receiver's per-request work is
/// shared by every entry of the pipeline.
public enum EntryPipeline {
    /// The media type of a pipeline's body.
    public static let contentType = "application/http"
    /// The most entry requests one pipeline may hold; a receiver refuses more (400).
    public static let maxEntries = 1_024

    /// The pipeline's body: each request's request line, a `Host` field, its header fields, its
    /// `Content-Length` and its body, one after the other.
    /// - Parameter host: the endpoint's authority (`host` or `host:port`), for each `Host` field.
    public static func encode(_ requests: [EntryRequest], host: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(requests.reduce(0) { $0 + $1.body.count + 1_024 })
        for request in requests {
            var head = "\(request.method) \(request.path) HTTP/1.1\r\nHost: \(host)\r\n"
            for header in request.headers { head += "\(header.name): \(header.value)\r\n" }
            head += "Content-Length: \(request.body.count)\r\n\r\n"
            bytes += Array(head.utf8)
            bytes += request.body
        }
        return bytes
    }
}

/// A receiver's answer to a pipeline that it took (200, `application/json`): for each entry
/// request, in order, what answering it alone would have given.
public struct EntryPipelineAnswer: Codable, Sendable, Equatable {
    public struct Result: Codable, Sendable, Equatable {
        /// The entry request's `Idempotency-Key` as received when it is a well-formed entry digest,
        /// else `nil`: the client matches each result to what it sent.
        public var key: String?
        /// The status the entry request alone would have been answered with.
        public var status: Int
        /// The body it would have been answered with.
        public var answer: EntryAnswer

        public init(key: String?, status: Int, answer: EntryAnswer) {
            self.key = key
            self.status = status
            self.answer = answer
        }
    }

    public var results: [Result]

    public init(results: [Result]) { self.results = results }
}

/// The body of an answer to one entry request: `{"digest":…,"status":"stored"}` (or
/// `"duplicate"`) when taken, `{"error":{"code":…,"message":…}}` when refused.
public struct EntryAnswer: Codable, Sendable, Equatable {
    public struct Failure: Codable, Sendable, Equatable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var digest: String?
    public var status: String?
    public var error: Failure?

    public init(digest: String? = nil, status: String? = nil, error: Failure? = nil) {
        self.digest = digest
        self.status = status
        self.error = error
    }

    /// `code: message` of a refusal, for the ledger.
    public var errorText: String? { error.map { "\($0.code): \($0.message)" } }
}
