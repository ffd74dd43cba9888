import HTTPTypes
import Hummingbird
import SpoolFormat
import SpoolProtocol

/// Why an entry request was refused: an HTTP status, a stable code and a message for people.
struct Refusal: Error {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var headers: HTTPFields = [:]

    /// A refusal of the shared contract's server half (docs/PROTOCOL.md).
    init(_ refusal: EntryRefusal) {
        self.init(status: HTTPResponse.Status(code: refusal.status), code: refusal.code.description, message: refusal.message)
    }

    init(status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }
}

extension EntryRequest {
    /// The contract's view of a Hummingbird request: the request target as received (query
    /// included, so that it is compared with the recorded path too), every header field, the body.
    init(_ request: Request, body: [UInt8]) {
        self.init(
            method: request.method.rawValue, path: request.head.path ?? "",
            headers: request.headers.map { Header(name: $0.name.rawName, value: $0.value) }, body: body)
    }
}
