import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ReceiverServer
import SpoolFormat
import SpoolStore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The dashboard of a real receiver, rendered by a real browser (Debian's headless Chromium).
@Suite("Dashboard in a real browser", .serialized)
struct DashboardBrowserTests {
    let temp: TemporaryDirectory

    init() throws { temp = try TemporaryDirectory() }

    /// A report body shaped as docs/PAYLOAD.md says, varying by installation; one metric key and
    /// one kind carry markup, which the page must show as text.
    static func body(index: Int, n: Int, installation: String) -> String {
        let os = ["debian", "ubuntu", "rhel"][index % 3]
        return """
            {"diagnostics":[],"installation":"\(installation)","metrics":{"environments":\(10 * (index + 1) + n),\
            "host.os.name":"\(os)","lets_encrypt.enabled":\(index % 2 == 0),"machines.by_kind":{"kubernetes":\(index + 1),"ssh":2},\
            "calls.api.mean_duration":0.25,"x.<script>alert(1)</script>":"<b>bold</b>"},"productVersion":"2.\(index).\(n)","schema":1}
            """
    }

    /// Headless Chromium's binary: Scripts/test.sh installs `chromium-headless-shell` when absent.
    static func chromium() throws -> String {
        for candidate in ["/usr/bin/chromium-headless-shell", "/usr/lib/chromium/headless_shell", "/usr/lib/chromium/chromium-headless-shell"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return try Command.which("chromium-headless-shell")
    }

    /// Runs the browser with a deadline (a hung browser fails the test, never the suite).
    func browse(_ arguments: [String]) async throws -> ChildProcess {
        let browser = try ChildProcess(
            try Self.chromium(), ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=\(temp.file("profile"))"] + arguments,
            outputIn: temp.path)
        let deadline = Date().addingTimeInterval(45)
        while browser.process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if browser.process.isRunning {
            browser.kill(SIGKILL)
            throw TestFailure("chromium did not finish: \(browser.stderr)")
        }
        #expect(browser.process.terminationStatus == 0, "\(browser.stderr)")
        return browser
    }

    @Test(.timeLimit(.minutes(3)))
    func dashboardShowsStoredInstallationsInChromium() async throws {
        let receiver = try await ReceiverProcess(in: temp)
        defer { receiver.child.kill(SIGKILL) }
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, installations: 3, count: 2, body: Self.body)
        let upload = try await runUploader(["upload", spool.directory, "--endpoint", receiver.url, "--ledger", temp.file("ledger.sqlite")], in: temp)
        #expect(upload.status == 0, "\(upload.stdout)\(upload.stderr)")
        let installations = spool.identities.map(\.installation)

        // The DOM after rendering holds every installation stored, and the markup from reports as text.
        let dom = try await browse(["--dump-dom", receiver.url + "/"]).stdout
        for installation in installations {
            #expect(dom.contains("<code>\(installation)</code>"), "installation \(installation) missing from the DOM")
        }
        #expect(dom.components(separatedBy: "<tr class=\"installation\">").count - 1 == 3)
        #expect(dom.contains("x.&lt;script&gt;alert(1)&lt;/script&gt;"), "a metric key from a report is shown as text")
        #expect(dom.contains("&lt;b&gt;bold&lt;/b&gt;"), "a kind from a report is shown as text")
        #expect(!dom.contains("<script") && !dom.contains("<b>"), "no markup from reports reaches the DOM")
        // Latest versions (2.0.1, 2.1.1, 2.2.1), and the aggregates of the latest reports.
        for version in ["2.0.1", "2.1.1", "2.2.1"] { #expect(dom.contains("<td>\(version)</td>"), "\(version)") }
        #expect(dom.contains("sum 63, mean 21"), "environments: 11 + 21 + 31")
        #expect(dom.contains("sums by kind, 12 in all"), "machines.by_kind: kubernetes 1+2+3, ssh 2+2+2")
        #expect(dom.contains(">2 (67%)</text>") && dom.contains(">1 (33%)</text>"), "lets_encrypt.enabled: true in 2 of 3")
        #expect(dom.contains("<svg class=\"chart\" id=\"chart-versions\""))

        // A screenshot kept as a test artefact: a non-empty PNG.
        let artefacts = repositoryRoot + "/.build/test-artefacts"
        try FileManager.default.createDirectory(atPath: artefacts, withIntermediateDirectories: true)
        let screenshot = artefacts + "/dashboard.png"
        try? FileManager.default.removeItem(atPath: screenshot)
        _ = try await browse(["--screenshot=\(screenshot)", "--window-size=1280,1600", receiver.url + "/"])
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), "not a PNG")
        #expect(png.count > 10_000, "a PNG of \(png.count) bytes is too small for the page")

        // The page as served passes a strict HTML check of its own.
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: receiver.url + "/"), timeout: .seconds(30))
        #expect(response.headers.first(name: "content-type") == "text/html; charset=utf-8")
        let page = temp.file("dashboard.html")
        try Data(String(buffer: try await response.body.collect(upTo: 1 << 24)).utf8).write(to: URL(fileURLWithPath: page))
        let check = try await offCooperativePool { try Command.run("python3", [repositoryRoot + "/Scripts/check-html.py", page]) }
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }

    /// The HTML check itself finds what it is for: unclosed tags, duplicate ids, no doctype.
    @Test(.timeLimit(.minutes(1)))
    func htmlCheckRefusesBrokenPages() throws {
        let good = #"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title></head><body><p id="a">x</p></body></html>"#
        let broken = [
            (#"<html lang="en"><head><title>t</title></head><body></body></html>"#, "missing <!DOCTYPE html>"),
            (#"<!DOCTYPE html><html><head><title>t</title></head><body></body></html>"#, "no lang attribute"),
            (#"<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><div><p>x</div></body></html>"#, "</div> closes <p>"),
            (#"<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><p id="a"></p><p id="a"></p></body></html>"#, "id 'a' already used"),
            (#"<!DOCTYPE html><html lang="en"><head></head><body></body></html>"#, "one non-empty <title>"),
            (#"<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><section>"#, "<section> is never closed"),
        ]
        func check(_ html: String) throws -> Command.Result {
            let path = temp.file("page-\(UUID().uuidString.prefix(6)).html")
            try Data(html.utf8).write(to: URL(fileURLWithPath: path))
            return try Command.run("python3", [repositoryRoot + "/Scripts/check-html.py", path])
        }
        #expect(try check(good).status == 0)
        for (html, problem) in broken {
            let result = try check(html)
            #expect(result.status == 1 && result.stdout.contains(problem), "\(problem): \(result.stdout)")
        }
    }
}
