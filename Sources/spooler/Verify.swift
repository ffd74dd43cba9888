import ArgumentParser
import CommandLineSupport
import Foundation
import SpoolFormat
import SpoolStore

extension SpoolerCommand {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every entry of the spool; change nothing.",
            discussion: """
                Checks both files of each entry, gzip structure and CRCs, the signature, the metadata, \
                sequence continuity and chain links, and reports stray and leftover files. \
                Exit status: 0 clean, 1 problems found or a failure while running (such as a missing spool directory), 2 usage error.
                """)

        @OptionGroup var options: SpoolOptions

        @Option(help: ArgumentHelp("Verify against this OpenSSH allowed_signers file instead of this installation's key (for spools of other installations).", valueName: "file"))
        var allowedSigners: String?

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            guard FileSystem.isDirectory(options.spool) else {
                throw RuntimeFailure("spool directory '\(PrintableText.path(options.spool))' does not exist or is not a directory")
            }
            let trust: any SignerTrust
            var expected: [ChainState] = []
            let state = options.stateDirectory
            if let allowedSigners {
                do {
                    trust = try AllowedSigners(contentsOf: allowedSigners)
                } catch {
                    throw RuntimeFailure("\(error)")
                }
            } else {
                guard let identity = try? state.loadPublicIdentity() else {
                    throw RuntimeFailure("no installation key in \(PrintableText.path(state.path)): pass --state DIR of the spooler that wrote the spool, or --allowed-signers FILE")
                }
                trust = SingleSignerTrust(key: identity.key, principal: identity.installation)
                expected = [try state.loadChain(installation: identity.installation)]
            }
            if allowedSigners != nil, options.state != nil, let identity = try? state.loadPublicIdentity(),
               let chain = try? state.loadChain(installation: identity.installation) {
                // Asked for explicitly, the state also says where this installation's own chain
                // ends. Not by default: a spool carried from another installation does not hold
                // this machine's entries.
                expected = [chain]
            }
            let report = try SpoolVerifier(trust: trust, expected: expected).verify(directory: options.spool)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(VerifyOutput(report)), as: UTF8.self))
            } else {
                for problem in report.problems {
                    print(problem.line(in: options.spool))
                }
                for loss in report.declaredLosses {
                    print("declared loss: entries \(loss.first)...\(loss.last) of \(loss.installation) were removed (\(loss.reason)), as tombstone \(loss.tombstone) records")
                }
                print(summary(report))
            }
            if !report.isClean { throw ExitCode(ExitStatus.problems) }
        }

        func summary(_ report: SpoolVerifier.Report) -> String {
            let what = report.entriesDescription
            if report.isClean { return "verified \(what): no problems" }
            let leftovers = report.problems.filter(\.isLeftover).count
            return "checked \(what): \(report.problems.count) problem(s)" + (leftovers > 0 ? ", \(leftovers) of them leftovers of an interrupted write" : "")
        }
    }
}

/// The `--json` shape of a verification.
struct VerifyOutput: Encodable {
    var clean: Bool
    var directory: String
    var entries: Int
    var validEntries: Int
    var installations: [SpoolVerifier.Report.Installation]
    var problems: [SpoolProblem]
    var declaredLosses: [SpoolVerifier.Report.DeclaredLoss]

    init(_ report: SpoolVerifier.Report) {
        clean = report.isClean
        directory = report.directory
        entries = report.entries
        validEntries = report.validEntries
        installations = report.installations
        problems = report.problems
        declaredLosses = report.declaredLosses
    }
}
