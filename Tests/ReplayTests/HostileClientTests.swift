import Foundation
import ReceiverServer
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real `receiver` against clients that stall, idle, send broken HTTP or crowd it, over raw
/// sockets on 127.0.0.1.
@Suite("Receiver under hostile clients", .serialized)
struct HostileClientTests {
    let temp: TemporaryDirectory

    init() throws { temp = try TemporaryDirectory() }

    static let head = "POST /api/telemetry HTTP/1.1\r\nHost: 127.0.0.1\r\n"

    func port(of receiver: ReceiverProcess) -> Int { Int(receiver.url.split(separator: ":").last!)! }

    /// Idle clients, clients sending their head slowly and clients stalling mid-body are each
    /// dropped within their timeout, with a log line saying why.
    @Test(.timeLimit(.minutes(1)))
    func slowClientsAreDroppedWithinTheirTimeouts() async throws {
        let receiver = try await ReceiverProcess(in: temp, arguments: ["--header-timeout", "1", "--body-timeout", "1", "--idle-timeout", "2"])
        let port = port(of: receiver)
        let idle = try RawSocket(port: port)
        let slowHead = try RawSocket(port: port)
        slowHead.send(Self.head)
        let stalled = try RawSocket(port: port)
        stalled.send(Self.head + "Content-Length: 1000\r\n\r\nabc")
        for (name, socket, limit) in [("idle", idle, 2.0), ("head", slowHead, 1.0), ("body", stalled, 1.0)] {
            let started = Date()
            let (_, closed) = socket.readUntilClosed(within: 10)
            let took = Date().timeIntervalSince(started)
            #expect(closed, "\(name): not closed")
            #expect(took < limit + 3, "\(name): closed after \(took) s")
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(
            receiver.child.stderr.contains("no complete request head (request line and header fields) within 1.0 s (--header-timeout)"),
            "\(receiver.child.stderr)")
        #expect(receiver.child.stderr.contains("no complete request body within 1.0 s (--body-timeout)"))
        #expect(receiver.child.stderr.contains("client went away before its request was complete"))
        #expect(!receiver.child.stderr.contains("answered 500"))
        await receiver.stop()
    }

    /// With far more idle connections open than the cap allows, /summary keeps answering (the
    /// connections idle the longest are closed to make room) and the cap is logged.
    @Test(.timeLimit(.minutes(1)))
    func summaryAnswersWhileManyIdleConnectionsAreOpen() async throws {
        let receiver = try await ReceiverProcess(in: temp, arguments: ["--max-connections", "50"])
        let port = port(of: receiver)
        var sockets: [RawSocket] = []
        for _ in 0..<300 { sockets.append(try RawSocket(port: port)) }
        for _ in 0..<3 {
            let summary = try await receiver.summary()
            #expect(summary.reports == 0)
        }
        #expect(receiver.child.stderr.contains("connections open, the limit (--max-connections)"), "\(receiver.child.stderr)")
        sockets.removeAll()
        await receiver.stop()
    }

    /// Broken HTTP is the client's fault: 400, never 500 (which the uploader would retry).
    @Test(
        .timeLimit(.minutes(1)),
        arguments: [
            "Transfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n",
            "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n",
            "Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcde",
            "Content-Length: -1\r\n\r\n",
        ])
    func malformedRequestsAre400(rest: String) async throws {
        let receiver = try await ReceiverProcess(in: temp)
        let socket = try RawSocket(port: port(of: receiver))
        socket.send(Self.head + rest)
        let (bytes, _) = socket.readUntilClosed(within: 5)
        let answer = String(decoding: bytes, as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
        #expect(try await receiver.summary().requests.byStatus["500"] == nil)
        await receiver.stop()
    }

    /// SIGTERM with stalled clients: the receiver exits within the shutdown timeout.
    @Test(.timeLimit(.minutes(1)))
    func shutdownDoesNotWaitForStalledClients() async throws {
        let receiver = try await ReceiverProcess(in: temp, arguments: ["--body-timeout", "120", "--shutdown-timeout", "2"])
        var sockets: [RawSocket] = []
        for _ in 0..<20 {
            let socket = try RawSocket(port: port(of: receiver))
            socket.send(Self.head + "Content-Length: 100000\r\n\r\nabc")
            sockets.append(socket)
        }
        try await Task.sleep(for: .milliseconds(300))
        let started = Date()
        receiver.child.kill(SIGTERM)
        let status = await receiver.child.wait()
        let took = Date().timeIntervalSince(started)
        #expect(took < 6, "exited \(took) s after SIGTERM")
        #expect(status == 0)
        sockets.removeAll()
    }
}
