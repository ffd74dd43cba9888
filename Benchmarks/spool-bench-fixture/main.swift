// Inputs for the benchmarks in Benchmarks/, made with the project's own writers:
//
//   spool-bench-fixture SPOOL STATE COUNT [CURL_DIR]   a spool of COUNT entries (the spool writer),
//                                                      and the same requests as curl inputs
//   spool-bench-fixture requests FILE COUNT [PER]      COUNT signed entry requests of one new
//                                                      installation, one per line, for wrk; with PER,
//                                                      in pipelines of PER (docs/PROTOCOL.md section 7)
//   spool-bench-fixture ledger LEDGER COUNT            a ledger holding COUNT delivered entries (0: migrate only)
//   spool-bench-fixture ceiling COUNT                  Ed25519 verifications per second with swift-crypto
//                                                      (as the tools make them), on one core and on all
import Crypto
import Foundation
import Logging
import ReplayClient
import SpoolFormat
import SpoolProtocol
import SpoolStore

func usage() -> Never {
    FileHandle.standardError.write(
        Data(
            """
            usage: spool-bench-fixture SPOOL STATE COUNT [CURL_DIR]
                   spool-bench-fixture requests FILE COUNT [PER]
                   spool-bench-fixture ledger LEDGER COUNT
                   spool-bench-fixture ceiling COUNT

            """.utf8))
    exit(2)
}

/// A body the size of a typical daily report (about 1 KiB of compact JSON).
func body(_ index: Int) -> [UInt8] {
    let filler = String(repeating: "x", count: 900)
    return Array(#"{"index":\#(index),"kind":"benchmark","users":\#(index % 97),"notes":"\#(filler)"}"#.utf8)
}

/// Writes a spool with the real `SpoolWriter` (every entry durable, as `collect` writes it).
func writeSpool(spool: String, statePath: String, count: Int, curlDirectory: String?) throws {
    try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
    let state = StateDirectory(path: statePath)
    let identity = state.hasIdentity ? try state.loadIdentity() : try state.createIdentity()
    let writer = try SpoolWriter(spool: spool, state: state, identity: identity, logger: Logger(label: "spool-bench-fixture"))
    if let curlDirectory { try FileManager.default.createDirectory(atPath: curlDirectory, withIntermediateDirectories: true) }
    for index in 0..<count {
        let (entry, _) = try writer.append(body: body(index), productVersion: "1.2.3", schema: 1)
        if let curlDirectory {
            let stem = curlDirectory + "/" + entry.name.stem
            try Data(entry.body).write(to: URL(fileURLWithPath: stem + ".body"))
            // The headers of the request the contract's client half builds, for curl -H @FILE.
            let headers = EntryRequest(entry: entry).headers.map { "\($0.name): \($0.value)\n" }.joined() + "\n"
            try Data(headers.utf8).write(to: URL(fileURLWithPath: stem + ".headers"))
        }
    }
    print("wrote \(count) entries for installation \(identity.installation) to \(spool)")
}

/// Signed requests of distinct entries (one chain of a new installation), without a spool: one
/// line each, tab-separated: method, path, then header name and value pairs, then the body
/// (compact JSON, so no tab or newline). Benchmarks/ingest.lua reads them. With `perRequest`
/// above 1, each line is a pipeline of that many entry requests instead, its body (which holds
/// line breaks) in a file of its own, `FILE.bodies/N`, named by the last field as `@PATH`.
func writeRequests(file: String, count: Int, perRequest: Int = 1) throws {
    let key = Curve25519.Signing.PrivateKey()
    let publicKey = SSHPublicKey(key.publicKey)
    let installation = UUID().uuidString.lowercased()
    var previous = EntryDigest.genesis
    var out = ""
    out.reserveCapacity(count * 2_000)
    var pipeline: [EntryRequest] = []
    let bodies = file + ".bodies"
    if perRequest > 1 {
        try? FileManager.default.removeItem(atPath: bodies)
        try FileManager.default.createDirectory(atPath: bodies, withIntermediateDirectories: true)
    }
    for index in 0..<count {
        let bytes = body(index)
        let metadata = EntryMetadata(
            kind: .report, installation: installation, sequence: UInt64(index + 1), created: Date(), productVersion: "1.2.3",
            schema: 1, previous: previous, key: publicKey.fingerprint, request: ReplayRequest(), body: bytes)
        let entry = try SpoolEntry.make(metadata: metadata, body: bytes, signingKey: key)
        previous = entry.digest
        let request = EntryRequest(entry: entry)
        if perRequest > 1 {
            pipeline.append(request)
            if pipeline.count == perRequest || index == count - 1 {
                let path = "\(bodies)/\(index / perRequest)"
                try Data(EntryPipeline.encode(pipeline, host: "127.0.0.1")).write(to: URL(fileURLWithPath: path))
                out += ["POST", request.path, EntryHeaders.contentType, EntryPipeline.contentType, "@" + path].joined(separator: "\t") + "\n"
                pipeline.removeAll()
            }
            continue
        }
        out +=
            ([request.method, request.path] + request.headers.flatMap { [$0.name, $0.value] } + [String(decoding: request.body, as: UTF8.self)])
            .joined(separator: "\t") + "\n"
    }
    try Data(out.utf8).write(to: URL(fileURLWithPath: file))
    print("wrote \(count) requests for installation \(installation) to \(file)")
}

/// Fills a ledger through its own API, as upload runs would: entries registered in batches,
/// then one delivered attempt each.
func fillLedger(path: String, count: Int) throws {
    let ledger = try Ledger(path: path)
    let key = SSHPublicKey(Curve25519.Signing.PrivateKey().publicKey)
    let installation = UUID().uuidString.lowercased()
    let batch = 10_000
    var start = 0
    while start < count {
        let accepted = (start..<min(start + batch, count)).map { index in
            SpoolScan.Accepted(
                name: EntryName(installation: installation, sequence: UInt64(index + 1)),
                digest: EntryDigest(SHA256.hash(data: Array("entry \(index)".utf8))), key: key, productVersion: "1.2.3",
                entry: nil, folder: "/spool")
        }
        let registration = try ledger.register(accepted: accepted, pins: start == 0 ? [installation: key] : [:])
        let now = Date()
        try ledger.record(registration.work.map { Ledger.AttemptRecord(entry: $0.id, at: now, status: 201, latency: 0.002, state: .delivered) })
        start += batch
    }
    print("registered and delivered \(count) entries of installation \(installation) in \(path)")
}

/// The machine's ceiling for anything that checks signatures: COUNT Ed25519 verifications of
/// distinct 32-byte messages (SSHSIG signs a digest) on one thread, then spread over every core
/// as `spooler verify` spreads them. Prints `one_core_per_s all_cores_per_s cores`.
func measureCeiling(count: Int) {
    let key = Curve25519.Signing.PrivateKey()
    let publicKey = key.publicKey
    let signed = (0..<256).map { index in
        let message = Array(SHA256.hash(data: Array("message \(index)".utf8)))
        return (message, try! key.signature(for: message))
    }
    @Sendable func verify(_ index: Int) {
        let (message, signature) = signed[index % signed.count]
        precondition(publicKey.isValidSignature(signature, for: message))
    }
    func seconds(_ work: () -> Void) -> Double {
        let start = ContinuousClock.now
        work()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let one = seconds { for index in 0..<count { verify(index) } }
    let all = seconds {
        DispatchQueue.concurrentPerform(iterations: cores) { worker in
            for index in stride(from: worker, to: count, by: cores) { verify(index) }
        }
    }
    print(String(format: "%.0f %.0f %d", Double(count) / one, Double(count) / all, cores))
}

let arguments = CommandLine.arguments
do {
    switch arguments.count > 1 ? arguments[1] : "" {
    case "requests":
        guard arguments.count == 4 || arguments.count == 5, let count = Int(arguments[3]), count > 0 else { usage() }
        let perRequest = arguments.count == 5 ? Int(arguments[4]) ?? 0 : 1
        guard (1...EntryPipeline.maxEntries).contains(perRequest) else { usage() }
        try writeRequests(file: arguments[2], count: count, perRequest: perRequest)
    case "ceiling":
        guard arguments.count == 3, let count = Int(arguments[2]), count > 0 else { usage() }
        measureCeiling(count: count)
    case "ledger":
        guard arguments.count == 4, let count = Int(arguments[3]), count >= 0 else { usage() }
        try fillLedger(path: arguments[2], count: count)
    default:
        guard arguments.count == 4 || arguments.count == 5, let count = Int(arguments[3]), count > 0 else { usage() }
        try writeSpool(spool: arguments[1], statePath: arguments[2], count: count, curlDirectory: arguments.count == 5 ? arguments[4] : nil)
    }
} catch {
    FileHandle.standardError.write(Data("spool-bench-fixture: \(error)\n".utf8))
    exit(1)
}
