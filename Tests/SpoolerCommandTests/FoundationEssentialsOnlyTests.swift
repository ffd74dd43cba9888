import Foundation
import TestSupport
import Testing

/// The static release spooler stays small only while nothing it links imports full Foundation
/// (which brings ICU, about 30 MB): this catches an `import Foundation` in its targets on every
/// test run, without the release build CI does for the size check.
@Suite("The spooler links FoundationEssentials only")
struct FoundationEssentialsOnlyTests {
    static let fullFoundation = ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so"]

    static func fullFoundationLibraries(of product: String) throws -> [String] {
        let libraries = try Command.run("ldd", [Command.product(product)])
        #expect(libraries.status == 0, "\(libraries.stderr)")
        return fullFoundation.filter { libraries.stdout.contains($0) }
    }

    @Test("spooler needs no Foundation, FoundationInternationalization or ICU library; uploader, which imports Foundation, does", .timeLimit(.minutes(1)))
    func noFullFoundation() throws {
        #expect(try Self.fullFoundationLibraries(of: "spooler") == [])
        // The same check finds them where they are, so it can fail.
        #expect(try Self.fullFoundationLibraries(of: "uploader").contains("libFoundation.so"))
    }
}
