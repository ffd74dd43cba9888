// libFuzzer entry point for the OpenSSH allowed_signers parser (principals, options, keys).
// Built only by Fuzz/run.sh.
import SpoolFormat

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let signers = try? AllowedSigners(text: text) {
        for signer in signers.signers {
            _ = signers.allows(signer.key, principal: signer.principals.first ?? "", namespace: SpoolEntry.namespace)
        }
    }
    return 0
}
