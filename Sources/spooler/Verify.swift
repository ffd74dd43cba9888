import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import SpoolFormat
import SpoolProtocol
import SpoolStore

extension SpoolerCommand {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check every entry of the spool, or an exported batch; change nothing.",
            discussion: """
                Checks both files of each entry, gzip structure and CRCs, the signature, the metadata, \
                sequence continuity and chain links, and reports stray and leftover files. \
                Exit status: 0 clean, 1 problems found or a failure while running (such as a missing spool directory), 2 usage error.
                """)

        @OptionGroup var options: SpoolOptions

        @Option(
            help: ArgumentHelp(
                "Verify against this OpenSSH allowed_signers file instead of this installation's key (for spools of other installations).", valueName: "file"))
        var allowedSigners: String?

        @Option(
            help: ArgumentHelp(
                "Check an exported batch folder (or a folder of batches) instead of the spool: manifest, signature, every file's digest, missing and extra files, entries. A --spool holding a MANIFEST is checked as a batch too.",
                valueName: "dir"))
        var batch: String?

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let batchFolder = batch ?? (BatchVerifier.isBatch(options.spool) ? options.spool : nil)
            let folder = batchFolder ?? options.spool
            guard FileSystem.isDirectory(folder) else {
                throw RuntimeFailure(
                    "\(batchFolder == nil ? "spool directory" : "batch folder") '\(PrintableText.path(folder))' does not exist or is not a directory")
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
                    throw RuntimeFailure(
                        "no installation key in \(PrintableText.path(state.path)): pass --state DIR of the spooler that wrote the spool, or --allowed-signers FILE"
                    )
                }
                trust = SingleSignerTrust(key: identity.key, principal: identity.installation)
                expected = [try state.loadChain(installation: identity.installation)]
            }
            if allowedSigners != nil, options.state != nil, let identity = try? state.loadPublicIdentity(),
                let chain = try? state.loadChain(installation: identity.installation)
            {
                // Asked for explicitly, the state also says where this installation's own chain
                // ends. Not by default: a spool carried from another installation does not hold
                // this machine's entries.
                expected = [chain]
            }
            if let batchFolder {
                try verifyBatches(in: batchFolder, trust: trust)
                return
            }
            let report = try SpoolVerifier(trust: trust, expected: expected).verify(directory: options.spool)
            if json {
                print(try JSONOutput.encode(VerifyOutput(report)))
            } else {
                for problem in report.problems {
                    print(VerifyOutput.line(for: problem, in: options.spool))
                }
                for loss in report.declaredLosses {
                    print(
                        "declared loss: entries \(loss.dropped.first)...\(loss.dropped.last) of \(loss.installation) were removed (\(loss.reason.rawValue)), as tombstone \(loss.tombstone) records"
                    )
                }
                print(summary(report))
            }
            if !report.isClean { throw ExitCode(ExitStatus.problems) }
        }

        func verifyBatches(in folder: String, trust: any SignerTrust) throws {
            let batches = try BatchVerifier.batches(in: folder)
            guard !batches.isEmpty else { throw ValidationError("'\(PrintableText.path(folder))' holds no batch folder (none has a MANIFEST)") }
            let verifier = BatchVerifier(trust: trust)
            let reports = try batches.map { try verifier.verify(batch: $0) }
            if json {
                print(try JSONOutput.encode(reports))
            } else {
                for report in reports {
                    for problem in report.problems {
                        print(
                            "\(PrintableText.path(report.batch))/\(problem.file == "." ? "" : PrintableText.path(problem.file)): \(problem.message) [\(problem.code)]"
                        )
                    }
                    print(report.summary)
                }
            }
            if !reports.allSatisfy(\.isClean) { throw ExitCode(ExitStatus.problems) }
        }

        func summary(_ report: SpoolVerifier.Report) -> String {
            let what = report.entriesDescription
            if report.isClean { return "verified \(what): no problems" }
            let leftovers = report.problems.filter(\.isLeftover).count
            return "checked \(what): \(report.problems.count) problem(s)" + (leftovers > 0 ? ", \(leftovers) of them leftovers of an interrupted write" : "")
        }
    }
}

extension BatchVerifier.Report {
    /// One line per batch, as `spooler verify --batch` prints it.
    var summary: String {
        let name = PrintableText.path(FileSystem.name(of: batch))
        if isIncomplete { return "batch \(name): incomplete" }
        guard let installation, let first, let last else { return "batch \(name): \(problems.count) problem(s)" }
        let what = "batch \(name): entries \(first)...\(last) of installation \(installation)"
        return isClean ? "verified \(what), head \(head!): no problems" : "checked \(what): \(problems.count) problem(s)"
    }
}
