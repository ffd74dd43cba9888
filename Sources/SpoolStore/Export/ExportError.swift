import SpoolFormat

/// Why an export failed. Every case says what was left behind: nothing recorded, the spool unchanged.
public enum ExportError: Error, CustomStringConvertible {
    case noDestination(String)
    case destinationInsideSpool(destination: String, spool: String)
    case notInSpool(sequence: UInt64, held: String?)
    case spoolDamaged(file: String, reason: String)
    case entryInvalid(file: String, problem: EntryProblem)
    case media(destination: String, FileSystemError)
    case readBack(file: String, reason: String)
    case batchExists(String)

    public var description: String {
        switch self {
        case .noDestination(let path):
            return "destination \(PrintableText.path(path)) does not exist or is not a directory (mount the media first)"
        case .destinationInsideSpool(let destination, let spool):
            return "destination \(PrintableText.path(destination)) is inside the spool \(PrintableText.path(spool)); export to a folder outside it"
        case .notInSpool(let sequence, let held):
            return "entry \(sequence) is not in the spool (" + (held.map { "it holds entries \($0)" } ?? "it holds no entry") + ")"
        case .spoolDamaged(let file, let reason):
            return "spool entry \(PrintableText.path(file)): \(reason); run 'spooler verify'. Nothing was exported"
        case .entryInvalid(let file, let problem):
            return "\(PrintableText.path(file)): \(problem) [\(problem.code)]; run 'spooler verify'. Nothing was exported"
        case .media(let destination, let error):
            return
                "cannot write the batch to \(PrintableText.path(destination)): \(error). The incomplete batch was removed, nothing was recorded, the spool is unchanged"
        case .readBack(let file, let reason):
            return "\(PrintableText.path(file)): the copy \(reason) (faulty media?). The incomplete batch was removed, nothing was recorded"
        case .batchExists(let path):
            return "batch \(PrintableText.path(path)) already exists; nothing was recorded"
        }
    }
}
