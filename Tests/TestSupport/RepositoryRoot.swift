import Foundation

/// The package's root folder, for tests that read its committed files (e.g. `spooler.conf`).
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
