// libFuzzer entry point for the receiver's reading of an entry request (the function behind the
// HTTP layer): headers, base64, SSHSIG blob, metadata, body and the request line must give an
// entry or a refusal, never a crash. The input is the request path, Spool-Metadata,
// Spool-Signature, Idempotency-Key and Content-Type values and the body, separated by NUL bytes.
// Built only by Fuzz/run.sh.
import SpoolFormat
import SpoolProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let parts = Array(UnsafeBufferPointer(start: data, count: size)).split(separator: 0, maxSplits: 5, omittingEmptySubsequences: false)
    var fields = parts.prefix(5).map { String(decoding: $0, as: UTF8.self) }
    while fields.count < 5 { fields.append("") }
    let names = [EntryHeaders.metadata, EntryHeaders.signature, EntryHeaders.idempotencyKey, EntryHeaders.contentType]
    let headers = zip(names, fields[1...4]).filter { !$0.1.isEmpty }.map { EntryRequest.Header(name: $0.0, value: $0.1) }
    let body = parts.count > 5 ? Array(parts[5]) : []
    // Trust on first use, as a receiver without an allowed_signers file reads requests.
    _ = try? EntryRequestReader(trust: FirstUseTrust()).read(EntryRequest(method: "POST", path: fields[0], headers: headers, body: body))
    return 0
}
