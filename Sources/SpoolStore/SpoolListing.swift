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
        // One table for both files of each entry, and one shared string per installation, so a
        // large spool costs a few dozen bytes per entry here.
        var files: [EntryName: UInt8] = [:]
        var installations: [String: String] = [:]
        let entryFile: UInt8 = 1
        let signatureFile: UInt8 = 2
        try FileSystem.forEachName(in: directory) { name, isRegularFile in
            if Self.knownFiles.contains(name) { return }
            if name.hasPrefix(DurableDirectory.temporaryPrefix) {
                temporaries.append(name)
                return
            }
            guard isRegularFile, let parsed = EntryName(fileName: name) else {
                strays.append(name)
                return
            }
            let installation = installations[parsed.installation] ?? parsed.installation
            installations[installation] = installation
            let entry = EntryName(installation: installation, sequence: parsed.sequence)
            files[entry, default: 0] |= name.hasSuffix(EntryName.signatureSuffix) ? signatureFile : entryFile
        }
        for (entry, kinds) in files {
            switch kinds {
            case entryFile | signatureFile: entries.append(entry)
            case entryFile: incomplete.append(entry)
            default: orphanSignatures.append(entry)
            }
        }
        entries.sort()
        incomplete.sort()
        orphanSignatures.sort()
        temporaries.sort()
        strays.sort()
    }
}
