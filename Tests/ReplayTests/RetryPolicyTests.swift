import AsyncHTTPClient
import Foundation
import ReceiverServer
import ReplayClient
import Testing

@Suite("Retry policy and HTTP settings")
struct RetryPolicyTests {
    @Test(arguments: [
        (200, RetryPolicy.Verdict.delivered), (201, .delivered), (400, .permanent), (403, .permanent), (404, .permanent),
        (409, .permanent), (413, .permanent), (408, .retry), (425, .retry), (429, .retry), (500, .retry), (502, .retry),
        (503, .retry),
    ])
    func classifiesStatuses(status: Int, verdict: RetryPolicy.Verdict) {
        #expect(RetryPolicy.verdict(status: status) == verdict)
    }

    @Test func backoffIsExponentialJitteredAndCapped() {
        let policy = RetryPolicy(base: 1, cap: 30, maxAttempts: 10)
        #expect(policy.backoff(afterAttempts: 1, random: 0) == 0.5)
        #expect(policy.backoff(afterAttempts: 1, random: 1) == 1)
        #expect(policy.backoff(afterAttempts: 4, random: 1) == 8)
        #expect(policy.backoff(afterAttempts: 4, random: 0) == 4)
        #expect(policy.backoff(afterAttempts: 40, random: 1) == 30)
        for attempts in 1...20 {
            let value = policy.backoff(afterAttempts: attempts)
            #expect(value > 0 && value <= 30)
        }
    }

    @Test func parsesRetryAfterInBothForms() {
        let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(RetryPolicy.parseRetryAfter("120", now: now) == 120)
        #expect(RetryPolicy.parseRetryAfter("Sun, 06 Nov 1994 08:49:47 GMT", now: now) == 10)
        #expect(RetryPolicy.parseRetryAfter("Sunday, 06-Nov-94 08:49:57 GMT", now: now) == 20)
        #expect(RetryPolicy.parseRetryAfter("Sun Nov  6 08:50:37 1994", now: now) == 60)
        #expect(RetryPolicy.parseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == 0, "a past date means now")
        #expect(RetryPolicy.parseRetryAfter("soon", now: now) == nil)
        #expect(RetryPolicy.parseRetryAfter("-5", now: now) == nil)
        // What the receiver sends parses back.
        let sent = RetryAfterValue.httpDate(secondsAhead: 30).headerValue(now: now)
        #expect(sent == "Sun, 06 Nov 1994 08:50:07 GMT")
        #expect(RetryPolicy.parseRetryAfter(sent, now: now) == 30)
    }

    @Test func retryAfterReplacesBackoffOnlyFor429And503() {
        let policy = RetryPolicy(base: 0.01, cap: 20, maxAttempts: 5)
        #expect(policy.delay(afterAttempts: 1, status: 429, retryAfter: "9") == 9)
        #expect(policy.delay(afterAttempts: 1, status: 503, retryAfter: "9") == 9)
        #expect(policy.delay(afterAttempts: 1, status: 500, retryAfter: "9") <= 0.01)
        #expect(policy.delay(afterAttempts: 1, status: 429, retryAfter: "garbage") <= 0.01)
    }

    /// One answer cannot park an entry for years: Retry-After is capped by the retry cap, in
    /// both forms, however large.
    @Test func retryAfterIsCappedByTheRetryCap() {
        let policy = RetryPolicy(base: 1, cap: 20)
        let now = Date(timeIntervalSince1970: 784_111_777)
        #expect(policy.delay(afterAttempts: 1, status: 503, retryAfter: "315360000", now: now) == 20)
        #expect(policy.delay(afterAttempts: 1, status: 503, retryAfter: String(repeating: "9", count: 400), now: now) == 20)
        let tenYears = RetryAfterValue.httpDate(secondsAhead: 315_360_000).headerValue(now: now)
        #expect(policy.delay(afterAttempts: 1, status: 429, retryAfter: tenYears, now: now) == 20)
    }

    /// Give-up is by age (or by --max-attempts when set), never by attempts alone by default.
    @Test func givesUpByAge() {
        let now = Date()
        let policy = RetryPolicy(base: 1, cap: 20, giveUpAfter: 86_400)
        #expect(policy.giveUp(attempts: 10_000, firstSeen: now.addingTimeInterval(-3_600), now: now) == nil)
        #expect(policy.giveUp(attempts: 3, firstSeen: now.addingTimeInterval(-2 * 86_400), now: now)?.contains("over 2 days") == true)
        #expect(RetryPolicy(maxAttempts: 3).giveUp(attempts: 3, firstSeen: now, now: now) == "gave up after 3 attempts")
    }

    @Test(arguments: [
        ("api.vendor.example", "vendor.example", true), ("api.vendor.example", ".vendor.example", true),
        ("vendor.example", "vendor.example", true), ("evilvendor.example", "vendor.example", false),
        ("api.vendor.example", "*", true), ("api.vendor.example", "", false), ("127.0.0.1", "localhost,127.0.0.1", true),
        ("api.vendor.example", "other.example, vendor.example:443", true), ("api.vendor.example", "*.vendor.example", true),
    ])
    func matchesNoProxy(host: String, noProxy: String, bypass: Bool) {
        #expect(HTTPSettings.bypassesProxy(host: host, noProxy: noProxy) == bypass)
    }

    @Test func readsTheProxyFromTheEnvironment() throws {
        let endpoint = URL(string: "https://telemetry.vendor.example")!
        let settings = HTTPSettings(environment: ["HTTPS_PROXY": "http://user:secret@proxy.site:3128"])
        let proxy = try #require(try settings.proxy(for: endpoint))
        #expect(proxy.host == "proxy.site" && proxy.port == 3128)
        #expect(try HTTPSettings(environment: ["https_proxy": "proxy.site:8080"]).proxy(for: endpoint)?.port == 8080)
        #expect(try HTTPSettings(environment: ["HTTPS_PROXY": "http://proxy.site:3128", "NO_PROXY": "vendor.example"]).proxy(for: endpoint) == nil)
        #expect(try HTTPSettings(environment: [:]).proxy(for: endpoint) == nil)
        #expect(throws: HTTPSettingsError.self) { try HTTPSettings(environment: ["HTTPS_PROXY": "socks5://proxy:1080"]).proxy(for: endpoint) }
    }
}
