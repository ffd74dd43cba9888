import SpoolFormat

/// One problem found in a spool, naming the file it concerns.
public struct SpoolProblem: Equatable, Sendable, Codable, CustomStringConvertible {
    /// A stable code for scripts, e.g. `signature_invalid`, `sequence_gap`, `leftover_incomplete`.
    public var code: ProblemCode
    /// The file the problem concerns, relative to the spool directory.
    public var file: String
    public var message: String

    public init(code: ProblemCode, file: String, message: String) {
        self.code = code
        self.file = file
        self.message = message
    }

    /// Leftovers of an interrupted write: the next `collect` cleans them up.
    public var isLeftover: Bool { code.isLeftover }

    public var description: String { "\(PrintableText.path(file)): \(message)" }

    /// A committed entry (the chain state records it) whose `.sig` is gone or is not a regular file.
    static func signatureMissing(_ name: EntryName) -> SpoolProblem {
        SpoolProblem(
            code: .signatureMissing, file: name.entryFile,
            message:
                "has no regular \(EntryName.signatureSuffix) although the state directory records it as committed: the signature was moved, deleted or replaced; the entry is kept"
        )
    }
}
