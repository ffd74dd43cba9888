import Foundation
import HTTPTypes
import SpoolFormat

/// The answer to one entry request: its status and JSON body (docs/PROTOCOL.md, "3. Answers"),
/// sent as the response, or as one result of a pipeline's answer.
struct EntryAnswerBody {
    var status: HTTPResponse.Status
    /// The JSON text, without a final newline.
    var json: [UInt8]

    /// An entry taken: `{"digest":…,"status":…}`, the bytes a sorted-keys `JSONEncoder` would
    /// write (a digest and a status word need no escapes), without an encoder per request (a
    /// fortieth of the receiver's time under load).
    static func taken(_ status: HTTPResponse.Status, _ word: StaticString, _ digest: EntryDigest) -> Self {
        Self(status: status, json: Array("{\"digest\":\"\(digest)\",\"status\":\"\(word)\"}".utf8))
    }

    /// An entry refused: `{"error":{"code":…,"message":…}}`.
    static func refused(_ refusal: Refusal) -> Self {
        Self(status: refusal.status, json: Self.json(["error": ["code": refusal.code, "message": refusal.message]]))
    }

    static func json(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(value)) ?? Data("{}".utf8))
    }
}
