import ArgumentParser
import CommandLineSupport
import Foundation
import ReplayClient
import SpoolFormat
import SpoolStore

extension UploaderCommand {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check every entry of a carried-out spool or exported batches, of any number of installations; change nothing.",
            discussion: """
                The same checks as 'spooler verify': both files of each entry, gzip structure and CRCs, the \
                signature, the metadata, sequence continuity and chain links, stray and leftover files. \
                A batch folder (or a folder of them) is checked against its signed manifest, as 'spooler verify --batch' does. \
                Against the ledger: sequences missing between what it holds and the new entries are reported \
                (sequence_gap_ledger), and an entry at a sequence it holds with another digest is a fork (sequence_fork). \
                Without --allowed-signers, each installation's key must match the key pinned in the ledger, or \
                the key of its first entry in the spool (trust on first use); the ledger is only read. \
                Exit status: 0 clean, 1 problems found or a failure while running (such as a missing spool directory), 2 usage error.
                """)

        @OptionGroup var spool: SpoolTrustOptions
        @OptionGroup var ledgerOptions: LedgerOptions

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws { try withLedger { try verify() } }

        func verify() throws {
            try spool.checkDirectory()
            let ledgerPath = ledgerOptions.path
            let ledger = FileSystem.exists(ledgerPath) ? try Ledger(path: ledgerPath, readOnly: true) : nil
            let scan = try SpoolScan.run(directory: spool.directory, trust: try spool.trust(ledger: ledger), holdings: try ledger?.holdings() ?? .init())
            if json {
                print(try JSONOutput.encode(VerifyOutput(scan)))
            } else {
                printProblems(scan, directory: spool.directory)
                print(Self.summary(scan))
            }
            if !scan.isClean { throw ExitCode(ExitStatus.problems) }
        }

        static func summary(_ scan: SpoolScan) -> String {
            let what = scan.report.entriesDescription
            if scan.isClean { return "verified \(what): no problems" }
            return
                "checked \(what): \(scan.problems.count) problem(s), \(scan.quarantined.count) entr\(scan.quarantined.count == 1 ? "y" : "ies") would be quarantined"
        }
    }
}

extension VerifyOutput {
    /// The spooler's shape, with the verdict of trust on first use and what upload would quarantine.
    init(_ scan: SpoolScan) {
        self.init(
            scan.report, clean: scan.isClean, validEntries: scan.acceptedCount, problems: scan.problems,
            quarantine: scan.quarantined.map(\.name.entryFile))
    }
}
