import ArgumentParser
import CommandLineSupport
import Foundation
import ReplayClient
import SpoolFormat
import SpoolProtocol
import SpoolStore

extension UploaderCommand {
    struct Receipt: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "receipt",
            abstract: "Write a signed receipt of what the endpoint accepted, to carry back to the spooler ('spooler ack').",
            discussion: """
                Writes FILE and FILE.sig: for one installation, every entry the endpoint accepted \
                (201 stored or 200 duplicate) with its digest, the ranges tombstones declared lost, \
                and the highest sequence contiguous from 1 (a declared loss counts as covered), \
                signed with the uploader's own key (created beside the ledger on first use; see \
                'uploader pubkey'). One receipt holds one installation: with several in the ledger, \
                choose one with --installation. \
                Exit status: 0 written, 1 failed (no ledger, nothing delivered), 2 usage error.
                """)

        @OptionGroup var ledgerOptions: LedgerOptions

        @Option(help: ArgumentHelp("The receipt file to write; its signature goes to FILE.sig.", valueName: "file"))
        var out: String

        @Option(help: ArgumentHelp("The installation the receipt is for. Required when the ledger holds several.", valueName: "id"))
        var installation: String?

        func run() throws {
            let path = ledgerOptions.path
            guard FileSystem.exists(path) else {
                throw RuntimeFailure("no ledger at \(path): nothing was uploaded with it yet (pass --ledger FILE or set UPLOADER_LEDGER)")
            }
            let issuer = ReceiptIssuer(ledger: try Ledger(path: path))
            let known = try issuer.installations()
            let chosen: String
            if let installation {
                guard known.contains(installation) else {
                    throw RuntimeFailure(
                        "the ledger \(path) holds no delivered entry of installation '\(installation)'"
                            + (known.isEmpty ? "" : "; it holds \(known.joined(separator: ", "))"))
                }
                chosen = installation
            } else if known.count == 1 {
                chosen = known[0]
            } else if known.isEmpty {
                throw RuntimeFailure("the ledger \(path) holds no delivered entry yet: upload first")
            } else {
                throw ValidationError(
                    "the ledger holds \(known.count) installations (\(known.joined(separator: ", "))); write one receipt each with --installation ID")
            }
            let (key, keyPath, created) = try UploaderKey.loadOrCreate(ledgerPath: path, notice: printError)
            if created {
                printError(
                    "created the uploader key \(PrintableText.path(keyPath)) (mode 600); trust it on the spooling side with the line of 'uploader pubkey --allowed-signers'"
                )
            }
            let receipt = try issuer.receipt(installation: chosen)
            try ReceiptIssuer.write(receipt, to: out, key: key)
            print("receipt for installation \(chosen): \(receipt.delivered.count) delivered, contiguous through \(receipt.contiguous)")
            print(PrintableText.path(out))
        }
    }

    struct Pubkey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pubkey",
            abstract: "Print the uploader's public key (which signs receipts) in OpenSSH form; creates the key on first use.")

        @OptionGroup var ledgerOptions: LedgerOptions

        @Flag(help: "Print a line for the spooler's trusted_uploaders file (an OpenSSH allowed_signers file, principal 'uploader', receipt namespace).")
        var allowedSigners = false

        func run() throws {
            let (key, keyPath, created) = try UploaderKey.loadOrCreate(ledgerPath: ledgerOptions.path, notice: printError)
            if created { printError("created the uploader key \(PrintableText.path(keyPath)) (mode 600)") }
            print(UploaderKey.publicKeyLine(key, allowedSigners: allowedSigners))
        }
    }
}
