import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import SpoolFormat
import SpoolProtocol
import SpoolStore
import TelemetryReport

extension SpoolerCommand {
    struct Ack: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ack",
            abstract: "Apply a receipt from the uploader: remove the entries it shows delivered.",
            discussion: """
                Reads RECEIPT and RECEIPT.sig (written by 'uploader receipt'). The receipt must be \
                signed by a key of the allowed_signers file named by the configuration key \
                trusted_uploaders, be for this installation, list only digests of this spool's \
                entries, and be newer than every receipt applied before. Then the unbroken run of \
                delivered entries from the oldest one in the spool on is removed (a delivered entry \
                after one not yet delivered stays for a later receipt), the last removed link is kept in the state directory so 'spooler verify' stays clean, and \
                what was freed is printed. A refused receipt changes nothing. \
                Exit status: 0 applied, 1 refused or failed, 2 usage error.
                """)

        @OptionGroup var options: SpoolOptions

        @Argument(help: ArgumentHelp("The receipt file; its signature is RECEIPT.sig beside it.", valueName: "receipt"))
        var receipt: String

        func run() throws {
            let configuration = try options.loadConfiguration()
            guard let trusted = configuration.trustedUploaders else {
                throw RuntimeFailure(
                    "no trusted uploader keys: set trusted_uploaders = FILE (an allowed_signers file holding the lines of 'uploader pubkey --allowed-signers') in \(configuration.source ?? "the configuration file"); the receipt was not applied"
                )
            }
            let trust: AllowedSigners
            do {
                trust = try AllowedSigners(contentsOf: configuration.resolve(trusted))
            } catch {
                throw RuntimeFailure("trusted_uploaders: \(error)")
            }
            let acknowledger = ReceiptAcknowledger(
                spool: options.spool, state: options.stateDirectory,
                identity: try options.stateDirectory.loadIdentity(), trust: trust)
            let outcome: ReceiptAcknowledger.Outcome
            do {
                outcome = try acknowledger.acknowledge(receiptAt: receipt, logger: Console.logger, productVersion: configuration.productVersion)
            } catch let refusal as ReceiptRefusal {
                throw RuntimeFailure(refusal.description)
            }
            if let removed = outcome.removed {
                print("freed \(outcome.entries) \(outcome.entries == 1 ? "entry" : "entries") (\(removed.first)...\(removed.last)), \(outcome.bytes) bytes")
            } else {
                print("freed 0 entries: the receipt acknowledges no entry still at the start of the spool")
            }
            if outcome.kept > 0 {
                print("kept \(outcome.kept) delivered \(outcome.kept == 1 ? "entry" : "entries") after an entry not yet delivered; a later receipt frees them")
            }
        }
    }
}
