// libFuzzer entry point for everything that reads untrusted entry bytes: the gzip reader, the
// signature parser, the metadata decoder, the allowed_signers parser. It trusts the test
// vector's key, so mutations of the vector reach the JSON decoder. Built only by Fuzz/run.sh.
@_spi(Differential) import SpoolFormat

let trust = SingleSignerTrust(
    key: try! SSHPublicKey(openSSHLine: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHilUydQa9Odusu77OG+T3RRlzm33By35uLC55gQuWt+"),
    principal: "b58572c3-faca-420c-8df7-178ea2d410b2")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The first two bytes say where the .json.gz ends and the .sig begins.
    guard bytes.count >= 2 else { return 0 }
    let split = min(Int(bytes[0]) << 8 | Int(bytes[1]), bytes.count - 2)
    let compressed = Array(bytes[2..<2 + split])
    let signature = Array(bytes[(2 + split)...])
    _ = try? SpoolEntry.open(compressed: compressed, signatureText: signature, trust: trust)
    _ = try? Gzip.decompressMembers(compressed, expectedMembers: 2, limits: .init(maxOutputBytes: 1 << 20, maxRatio: 250), requireCanonicalHeader: true)
    // The canonical reader is a shortcut: the full reading must give the same fields or problem.
    let shortcut = Result { () throws(EntryProblem) in try EntryMetadata.decode(line: compressed, canonicalReader: true) }
    let full = Result { () throws(EntryProblem) in try EntryMetadata.decode(line: compressed, canonicalReader: false) }
    precondition(shortcut == full, "the metadata readers disagree: \(shortcut) against \(full)")
    _ = try? SSHSignature(blob: signature)
    _ = try? AllowedSigners(text: String(decoding: signature, as: UTF8.self))
    return 0
}
