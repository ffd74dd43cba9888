// libFuzzer entry point for the receiver's reading of an entry request (the function behind the
// HTTP layer): headers, base64, SSHSIG blob, metadata, body and the request line must give an
// entry or a refusal, never a crash. The input is the request path, Spool-Metadata,
// Spool-Signature, Idempotency-Key and Content-Type values and the body, separated by NUL bytes.
// Built only by Fuzz/run.sh (debug, so `@testable` reaches the internal reader).
import HTTPTypes
@testable import ReceiverServer

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var fields = bytes.split(separator: 0, maxSplits: 5, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    while fields.count < 6 { fields.append("") }
    var headers = HTTPFields()
    for (name, value) in zip([EntryHeaders.metadata, EntryHeaders.signature, EntryHeaders.idempotencyKey, "Content-Type"], fields[1...4]) where !value.isEmpty {
        guard let field = HTTPField.Name(name) else { continue }
        headers[field] = value
    }
    let body = Array(bytes.split(separator: 0, maxSplits: 5, omittingEmptySubsequences: false).dropFirst(5).first ?? [])
    _ = try? EntryRequestReader(trust: PinnedLaterTrust()).read(method: .post, path: fields[0], headers: headers, body: body)
    return 0
}
