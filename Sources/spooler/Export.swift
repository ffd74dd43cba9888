import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import SpoolFormat
import SpoolProtocol
import SpoolStore
import TelemetryReport

extension SpoolerCommand {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Copy entries not yet exported into a new, signed batch folder (to carry out).",
            discussion: """
                Writes DIR/INSTALLATION-FIRST-LAST-TIME/ holding the entries, the installation's \
                allowed_signers line, a MANIFEST in sha256sum format and MANIFEST.sig. Every copy is \
                fsynced and read back before the batch appears under its name; the spool is never \
                changed. Prints the batch folder as the last line of stdout. With nothing new to \
                export it says so and exits 0 without a batch. Exit status: 0 done, 1 failed \
                (reporting off, damaged spool, media full), 2 usage error.
                """)

        @OptionGroup var options: SpoolOptions

        @Option(help: ArgumentHelp("The folder to create the batch in (a mounted removable medium).", valueName: "dir"))
        var to: String

        @Flag(help: "Export every entry in the spool again.")
        var all = false

        @Option(help: ArgumentHelp("Export again from this sequence on.", valueName: "seq"))
        var from: UInt64?

        @Flag(help: "Export the entries after the last export (the default).")
        var sinceLast = false

        func validate() throws {
            guard [all, from != nil, sinceLast].filter({ $0 }).count <= 1 else {
                throw ValidationError("choose one of --since-last, --all and --from SEQ")
            }
        }

        func run() throws {
            let configuration = try options.loadConfiguration()
            guard configuration.reporting else {
                // Off means nothing leaves the site, including what was spooled before.
                Console.error(
                    "error: "
                        + ReportingOff.message(configuration, command: "export").replacing(
                            "export spools nothing", with: "export writes no batch"))
                throw ExitCode(ExitStatus.problems)
            }
            let selection: SpoolExporter.Selection = all ? .all : from.map { .from($0) } ?? .sinceLast
            let exporter = SpoolExporter(spool: options.spool, state: options.stateDirectory, identity: try options.stateDirectory.loadIdentity())
            let outcome = try exporter.export(to: to, selection: selection)
            for leftover in outcome.removedLeftovers {
                Console.error("removed \(PrintableText.path(to))/\(PrintableText.path(leftover)): the incomplete batch of an interrupted export")
            }
            if let reason = outcome.nothingToExport {
                print(reason)
            } else if let manifest = outcome.manifest, let batch = outcome.batch {
                let count = manifest.last - manifest.first + 1
                print(
                    "exported \(count) \(count == 1 ? "entry" : "entries") (\(manifest.first)...\(manifest.last)) of installation \(manifest.installation), head \(manifest.head)"
                )
                print(PrintableText.path(batch))
            }
        }
    }
}
