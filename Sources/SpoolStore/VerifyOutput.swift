import SpoolFormat

/// What `spooler verify` and `uploader verify` print: the `--json` shape, and a problem's line.
///
/// Scripts read both, so one type serves both commands. The spooler adds the declared losses,
/// the uploader the entries an upload would quarantine; a key that does not apply is left out.
public struct VerifyOutput: Encodable, Sendable {
    public var clean: Bool
    public var directory: String
    public var entries: Int
    public var validEntries: Int
    public var installations: [SpoolVerifier.Report.Installation]
    public var problems: [SpoolProblem]
    public var declaredLosses: [SpoolVerifier.Report.DeclaredLoss]?
    /// Entry files that an upload would never send.
    public var quarantine: [String]?

    /// The spooler's verification: the report as it stands, with its declared losses.
    public init(_ report: SpoolVerifier.Report) {
        self.init(report, clean: report.isClean, validEntries: report.validEntries, problems: report.problems)
        declaredLosses = report.declaredLosses
    }

    /// A verification whose verdict goes beyond the report's (the uploader's trust on first use).
    public init(_ report: SpoolVerifier.Report, clean: Bool, validEntries: Int, problems: [SpoolProblem], quarantine: [String]? = nil) {
        self.clean = clean
        directory = report.directory
        entries = report.entries
        self.validEntries = validEntries
        installations = report.installations
        self.problems = problems
        self.quarantine = quarantine
    }

    /// A problem as one line of text: `DIRECTORY/FILE: MESSAGE [CODE]`, the path escaped.
    public static func line(for problem: SpoolProblem, in directory: String) -> String {
        "\(PrintableText.path(directory))/\(PrintableText.path(problem.file)): \(problem.message) [\(problem.code)]"
    }
}
