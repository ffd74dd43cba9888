import CBuildInfo

/// The release the three commands belong to, as `--version` prints it.
public enum ToolVersion {
    /// The release number. The one place it is set: the Makefile reads it from here to name the
    /// release tarball.
    public static let number = "0.1.0"

    /// The commit the binary was built from, when the build was told (`make` passes it; a plain
    /// `swift build` does not).
    public static var commit: String? {
        let commit = String(cString: telemetry_spool_commit)
        return commit.isEmpty ? nil : commit
    }

    /// One line: `0.1.0 (commit 3f2a1c9d0e12)`, or `0.1.0` alone when the commit is unknown.
    public static var line: String {
        commit.map { "\(number) (commit \($0))" } ?? number
    }
}
