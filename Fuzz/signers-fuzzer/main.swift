// libFuzzer entry point for the OpenSSH allowed_signers parser (principals, options, keys).
// Built only by Fuzz/run.sh.
import SpoolFormat

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Bytes, not text: line ends, byte-order mark and UTF-8 are the parser's to judge.
    if let signers = try? AllowedSigners(bytes: Array(UnsafeBufferPointer(start: data, count: size))) {
        for signer in signers.signers {
            _ = signers.allows(signer.key, principal: signer.principals.first ?? "", namespace: SpoolEntry.namespace)
        }
    }
    return 0
}
