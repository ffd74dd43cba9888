// Writes a spool of N entries for Benchmarks/upload.sh, and the same entries as curl inputs.
import Foundation
import Logging
import SpoolFormat
import SpoolProtocol
import SpoolStore

func usage() -> Never {
    FileHandle.standardError.write(Data("usage: spool-bench-fixture SPOOL STATE COUNT [CURL_DIR]\n".utf8))
    exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count == 4 || arguments.count == 5, let count = Int(arguments[3]), count > 0 else { usage() }
let spool = arguments[1]
let statePath = arguments[2]
let curlDirectory = arguments.count == 5 ? arguments[4] : nil

do {
    try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
    let state = StateDirectory(path: statePath)
    let identity = state.hasIdentity ? try state.loadIdentity() : try state.createIdentity()
    let writer = try SpoolWriter(spool: spool, state: state, identity: identity, logger: Logger(label: "spool-bench-fixture"))
    if let curlDirectory { try FileManager.default.createDirectory(atPath: curlDirectory, withIntermediateDirectories: true) }
    for index in 0..<count {
        // A body the size of a typical daily report (about 1 KiB of compact JSON).
        let filler = String(repeating: "x", count: 900)
        let body = Array(#"{"index":\#(index),"kind":"benchmark","users":\#(index % 97),"notes":"\#(filler)"}"#.utf8)
        let (entry, _) = try writer.append(body: body, productVersion: "1.2.3", schema: 1)
        if let curlDirectory {
            let stem = curlDirectory + "/" + entry.name.stem
            try Data(entry.body).write(to: URL(fileURLWithPath: stem + ".body"))
            // The headers of the request the contract's client half builds, for curl -H @FILE.
            let headers = EntryRequest(entry: entry).headers.map { "\($0.name): \($0.value)\n" }.joined() + "\n"
            try Data(headers.utf8).write(to: URL(fileURLWithPath: stem + ".headers"))
        }
    }
    print("wrote \(count) entries for installation \(identity.installation) to \(spool)")
} catch {
    FileHandle.standardError.write(Data("spool-bench-fixture: \(error)\n".utf8))
    exit(1)
}
