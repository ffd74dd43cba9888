import ArgumentParser
import CommandLineSupport
import Foundation
import ReplayClient
import SpoolFormat
import SpoolStore

extension UploaderCommand {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show the ledger: counts by state, the next retry, the latest errors, and per installation the highest sequence and the missing ranges.")

        @OptionGroup var ledgerOptions: LedgerOptions

        @Option(help: "How many of the latest errors to show.")
        var errors = 10

        @Flag(help: "Print the status as JSON.")
        var json = false

        func validate() throws {
            try BoundedOption.check(errors, "--errors", in: 0...100_000)
        }

        func run() throws { try withLedger { try show() } }

        func show() throws {
            let path = ledgerOptions.path
            guard FileSystem.exists(path) else {
                throw RuntimeFailure("no ledger at \(PrintableText.path(path)): nothing was uploaded with it yet (pass --ledger FILE or set UPLOADER_LEDGER)")
            }
            let status = try Ledger(path: path, readOnly: true).status(latestErrors: errors)
            print(json ? try JSONOutput.encode(status) : status.text)
        }
    }
}
