import Testing
@testable import TelemetryReport

@Suite("Catalog") struct CatalogTests {
    @Test func placeholder() { #expect(true) }
}
