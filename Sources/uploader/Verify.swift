import ArgumentParser
import CommandLineSupport
import Foundation
import ReplayClient
import SpoolFormat
import SpoolStore

extension UploaderCommand {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every entry of a carried-out spool, of any number of installations; change nothing.",
            discussion: """
                The same checks as 'spooler verify': both files of each entry, gzip structure and CRCs, the \
                signature, the metadata, sequence continuity and chain links, stray and leftover files. \
                Without --allowed-signers, each installation's key must match the key pinned in the ledger, or \
                the key of its first entry in the spool (trust on first use); the ledger is only read. \
                Exit status: 0 clean, 1 problems found or a failure while running (such as a missing spool directory), 2 usage error.
                """)

        @OptionGroup var spool: SpoolTrustOptions
        @OptionGroup var ledgerOptions: LedgerOptions

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            try spool.checkDirectory()
            let ledgerPath = ledgerOptions.path
            let ledger = FileSystem.exists(ledgerPath) ? try Ledger(path: ledgerPath, readOnly: true) : nil
            let scan = try SpoolScan.run(directory: spool.directory, trust: try spool.trust(ledger: ledger))
            if json {
                print(try encodeJSON(VerifyOutput(scan)))
            } else {
                printProblems(scan, directory: spool.directory)
                print(Self.summary(scan))
            }
            if !scan.isClean { throw ExitCode(ExitStatus.problems) }
        }

        static func summary(_ scan: SpoolScan) -> String {
            let what = scan.report.entriesDescription
            if scan.isClean { return "verified \(what): no problems" }
            return "checked \(what): \(scan.problems.count) problem(s), \(scan.quarantined.count) entr\(scan.quarantined.count == 1 ? "y" : "ies") would be quarantined"
        }
    }
}

/// The `--json` shape of a verification (the spooler's, plus what upload would quarantine).
struct VerifyOutput: Encodable {
    var clean: Bool
    var directory: String
    var entries: Int
    var validEntries: Int
    var installations: [SpoolVerifier.Report.Installation]
    var problems: [SpoolProblem]
    var quarantine: [String]

    init(_ scan: SpoolScan) {
        clean = scan.isClean
        directory = scan.report.directory
        entries = scan.report.entries
        validEntries = scan.accepted.count
        installations = scan.report.installations
        problems = scan.problems
        quarantine = scan.quarantined.map(\.name.entryFile)
    }
}
