import ArgumentParser
import CommandLineSupport
import Foundation
import ReplayClient
import SpoolFormat
import SpoolStore

/// Where the ledger is.
struct LedgerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The retry ledger (SQLite). Default: $UPLOADER_LEDGER, else ~/.local/state/telemetry-spool/uploader-ledger.sqlite.", valueName: "file"))
    var ledger: String?

    var path: String { ledger ?? Ledger.defaultPath() }
}

/// Whom to trust, and the spool to read.
struct SpoolTrustOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The spool directory (as carried out).", valueName: "dir"))
    var directory: String

    @Option(help: ArgumentHelp("Trust exactly the keys of this OpenSSH allowed_signers file, per installation. Without it: trust on first use, with the keys pinned in the ledger.", valueName: "file"))
    var allowedSigners: String?

    /// A missing spool is a failure at run time, not a usage error: the command line was fine.
    func checkDirectory() throws {
        guard FileSystem.isDirectory(directory) else {
            throw RuntimeFailure("spool directory '\(PrintableText.path(directory))' does not exist or is not a directory")
        }
    }

    /// The trust to verify with; `ledger` supplies pins under trust on first use.
    func trust(ledger: Ledger?) throws -> TrustSource {
        if let allowedSigners {
            do {
                return .allowedSigners(try AllowedSigners(contentsOf: allowedSigners))
            } catch {
                throw RuntimeFailure("--allowed-signers: \(error)")
            }
        }
        return .firstUse(pins: try ledger?.pins() ?? [:])
    }

    /// Refuses a ledger inside the spool: it would be carried back and forth with the entries.
    func checkLedgerOutside(_ ledgerPath: String) throws {
        if FileSystem.isWithin(FileSystem.directory(containing: ledgerPath), directory: directory) {
            throw ValidationError("the ledger \(ledgerPath) is inside the spool directory \(directory); choose a --ledger outside it")
        }
    }
}

/// Prints scan problems the way `spooler verify` does.
func printProblems(_ scan: SpoolScan, directory: String) {
    for problem in scan.problems {
        print(VerifyOutput.line(for: problem, in: directory))
    }
}
