import Foundation
import TestSupport
import Testing

/// Auditors check that the spooler cannot talk to a network: no networking module is linked in.
@Suite("The spooler links no network code")
struct NetworkFreeTests {
    /// Mangled module prefixes of the networking libraries the package uses elsewhere.
    static let networkModules = ["7NIOCore", "8NIOPosix", "15AsyncHTTPClient", "11Hummingbird", "20FoundationNetworking"]

    static func networkSymbols(in binary: String) throws -> [String] {
        let symbols = try Command.run("nm", [binary])
        #expect(symbols.status == 0, "\(symbols.stderr)")
        return symbols.lines.filter { line in networkModules.contains { line.contains($0) } }
    }

    @Test("spooler has no NIO, AsyncHTTPClient, Hummingbird or FoundationNetworking symbols; receiver, which serves HTTP, has them", .timeLimit(.minutes(1)))
    func noNetworkSymbols() throws {
        #expect(try Self.networkSymbols(in: Command.product("spooler")).isEmpty)
        // The same check finds them where they are, so it can fail.
        #expect(!(try Self.networkSymbols(in: Command.product("receiver")).isEmpty))
        let libraries = try Command.run("ldd", [Command.product("spooler")])
        #expect(!libraries.stdout.contains("FoundationNetworking"))
    }
}
