import SpoolFormat
#if canImport(Glibc)
import Glibc
#endif

/// What a spool directory holds, sorted into entries, crash leftovers and everything else.
public struct SpoolListing: Sendable {
    /// Files a spool directory may hold besides entries.
    public static let knownFiles: Set<String> = ["README.md", SpoolLock.fileName]

    /// Complete entries (both files present), sorted by installation, then sequence.
    public var entries: [EntryName] = []
    /// `.json.gz` files without their `.sig`: an interrupted write (the `.sig` commits an entry).
    public var incomplete: [EntryName] = []
    /// `.sig` files without their `.json.gz`: a deleted entry.
    public var orphanSignatures: [EntryName] = []
    /// Temporary files of an interrupted write.
    public var temporaries: [String] = []
    /// Anything else: unknown names, directories, symlinks.
    public var strays: [String] = []

    public init(directory: String) throws {
        var entryFiles = Set<EntryName>(), signatureFiles = Set<EntryName>()
        for (name, isRegularFile) in try FileSystem.listWithTypes(directory) {
            if Self.knownFiles.contains(name) { continue }
            if name.hasPrefix(DurableDirectory.temporaryPrefix) {
                temporaries.append(name)
                continue
            }
            guard isRegularFile, let entry = EntryName(fileName: name) else {
                strays.append(name)
                continue
            }
            if name.hasSuffix(EntryName.signatureSuffix) { signatureFiles.insert(entry) } else { entryFiles.insert(entry) }
        }
        entries = entryFiles.intersection(signatureFiles).sorted()
        incomplete = entryFiles.subtracting(signatureFiles).sorted()
        orphanSignatures = signatureFiles.subtracting(entryFiles).sorted()
        temporaries.sort()
        strays.sort()
    }
}
