import ArgumentParser
import CommandLineSupport
import Foundation
import ReplayClient
import SpoolFormat
import SpoolStore

/// Where the ledger is.
struct LedgerOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The retry ledger (SQLite). Default: $UPLOADER_LEDGER, else ~/.local/state/telemetry-spool/uploader-ledger.sqlite.", valueName: "file"))
    var ledger: String?

    var path: String { ledger ?? Ledger.defaultPath() }
}

/// Whom to trust, and the spool to read.
struct SpoolTrustOptions: ParsableArguments {
    @Argument(
        help: ArgumentHelp("A spool directory (as carried out), a batch folder of 'spooler export', or a folder holding batch folders.", valueName: "dir"))
    var directory: String

    @Option(
        help: ArgumentHelp(
            "Trust exactly the keys of this OpenSSH allowed_signers file, per installation. Without it: the keys pinned in the ledger ('uploader trust'), else trust on first use.",
            valueName: "file"))
    var allowedSigners: String?

    /// A missing spool is a failure at run time, not a usage error: the command line was fine.
    func checkDirectory() throws {
        guard FileSystem.isDirectory(directory) else {
            throw RuntimeFailure("spool or batch directory '\(PrintableText.path(directory))' does not exist or is not a directory")
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
/// One line per problem: `verify`'s output on stdout; beside `upload`'s result, on stderr.
func printProblems(_ scan: SpoolScan, directory: String, write: (String) -> Void = { print($0) }) {
    for problem in scan.problems {
        write(VerifyOutput.line(for: problem, in: directory))
    }
}

/// Says a ledger problem the way the exit statuses mean it: busy (another process holds it) is
/// 75, try again; damaged or unusable is 1, with what to do. Other errors pass unchanged.
func exitStatusError(_ error: any Error) -> any Error {
    switch error {
    case let error as LedgerError: return error.kind == .busy ? TemporaryFailure(error.description) : RuntimeFailure(error.description)
    case let error as LedgerLock.Busy: return TemporaryFailure(error.description)
    default: return error
    }
}

func withLedger<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw exitStatusError(error) }
}

func withLedgerAsync<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch { throw exitStatusError(error) }
}
