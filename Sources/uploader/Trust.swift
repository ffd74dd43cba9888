import ArgumentParser
import CommandLineSupport
import Foundation
import ReplayClient
import SpoolFormat
import SpoolStore

extension UploaderCommand {
    struct Trust: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trust",
            abstract: "Pin installation keys from an allowed_signers file into the ledger, or list the pins.",
            discussion: """
                For sites that do not want trust on first use: each line's installation ID is pinned to its key, \
                so verify and upload need no --allowed-signers. A key that contradicts an existing pin is refused, \
                naming the installation and both fingerprints, and nothing is imported, unless --replace. \
                Exit status: 0 imported or listed, 1 refused or a failure while running, 2 usage error.
                """)

        @Argument(help: ArgumentHelp("An OpenSSH allowed_signers file of installation keys (a batch folder's allowed_signers, say).", valueName: "file"))
        var file: String?

        @Flag(help: "List the pinned keys: installation, key fingerprint, since when, and how pinned.")
        var list = false

        @Flag(help: "Pin the file's keys even where they contradict existing pins.")
        var replace = false

        @OptionGroup var ledgerOptions: LedgerOptions

        @Flag(help: "Print the result as JSON.")
        var json = false

        func validate() throws {
            guard list != (file != nil) else { throw ValidationError("give either an allowed_signers FILE to import or --list") }
            if list, replace { throw ValidationError("--replace applies to an import, not to --list") }
        }

        func run() throws {
            let ledgerPath = ledgerOptions.path
            if list {
                let pins = FileSystem.exists(ledgerPath) ? try Ledger(path: ledgerPath, readOnly: true).pinnedKeys() : []
                if json {
                    print(try JSONOutput.encode(pins))
                } else if pins.isEmpty {
                    print("no keys pinned in \(PrintableText.path(ledgerPath))")
                } else {
                    for pin in pins { print(Self.line(pin)) }
                }
                return
            }
            guard let file else { return }
            let pins: [PinnedKey]
            do {
                pins = try PinnedKey.pins(from: try AllowedSigners(contentsOf: file), file: file)
            } catch {
                throw RuntimeFailure("\(error)")
            }
            let lock = try LedgerLock(ledgerPath: ledgerPath)
            defer { lock.release() }
            let result: Ledger.PinImport
            do {
                result = try Ledger(path: ledgerPath).importPins(pins, replace: replace)
            } catch let error as PinError {
                throw RuntimeFailure(error.description)
            }
            if json {
                print(try JSONOutput.encode(ImportOutput(added: result.added, replaced: result.replaced.map(\.new), unchanged: result.unchanged)))
                return
            }
            for pin in result.added { print("pinned    " + Self.line(pin)) }
            for (old, new) in result.replaced { print("replaced  " + Self.line(new) + " (was \(old.key.fingerprint))") }
            for pin in result.unchanged { print("unchanged " + Self.line(pin)) }
        }

        static func line(_ pin: PinnedKey) -> String {
            "\(pin.installation)  \(pin.key.fingerprint)  since \(pin.since.formatted(.iso8601))  \(pin.origin.rawValue)"
        }

        struct ImportOutput: Encodable {
            var added: [PinnedKey]
            var replaced: [PinnedKey]
            var unchanged: [PinnedKey]
        }
    }
}
