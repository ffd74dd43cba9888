import Foundation
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client is too slow: the request head must be complete within the
/// header timeout of its first byte, and the body within the body timeout of the head's end.
/// (Hummingbird's own idle timeout closes connections with no request under way.)
///
/// Slow clients otherwise hold a connection, a task and a partly read body each, for ever: a few
/// hundred stalling mid-body raised the memory use tenfold. The handler sits after the HTTP
/// decoder, where it sees heads and ends; at its side, first in the pipeline, ``FirstByteWatch``
/// tells it when a new request's bytes start to arrive.
final class RequestDeadlines: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    enum Phase { case idle, head, body, answering }

    let limits: ConnectionLimits
    let idle: IdleConnections
    let logger: Logger
    private var phase = Phase.idle
    private var timer: Scheduled<Void>?

    init(limits: ConnectionLimits, idle: IdleConnections, logger: Logger) {
        self.limits = limits
        self.idle = idle
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let watch = FirstByteWatch { [self] in requestStarted(context: context) }
        try? context.pipeline.syncOperations.addHandler(watch, position: .first)
        idle.markIdle(context.channel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        idle.remove(context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        idle.remove(context.channel)
        context.fireChannelInactive()
    }

    /// The first bytes of a request (or of the TLS handshake) arrived.
    private func requestStarted(context: ChannelHandlerContext) {
        guard phase == .idle else { return }
        idle.remove(context.channel)
        phase = .head
        arm(limits.headerTimeout, context: context, what: "request head (request line and header fields)", option: "--header-timeout")
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            phase = .body
            arm(limits.bodyTimeout, context: context, what: "request body", option: "--body-timeout")
        case .body:
            break
        case .end:
            phase = .answering
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), phase == .answering {
            phase = .idle
            idle.markIdle(context.channel)
        }
        context.write(data, promise: promise)
    }

    private func arm(_ limit: Duration, context: ChannelHandlerContext, what: String, option: String) {
        timer?.cancel()
        let seconds = limit.seconds
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { [self] in
            timer = nil
            logger.info(
                "closing a slow connection: no complete \(what) within \(seconds) s (\(option))",
                metadata: ["client": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"])
            context.close(promise: nil)
        }
    }
}

/// Reports the bytes arriving while no request is under way (first in the pipeline, before any
/// decoding), for ``RequestDeadlines``.
final class FirstByteWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let arrived: () -> Void

    init(_ arrived: @escaping () -> Void) { self.arrived = arrived }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        arrived()
        context.fireChannelRead(data)
    }
}

/// The connections with no request under way, oldest first: the ones to close when the
/// connection cap is reached, so that new clients (and `GET /summary`) are served while idle
/// keep-alive connections wait to be reused.
final class IdleConnections: @unchecked Sendable {
    private let lock = NSLock()
    private var channels: [ObjectIdentifier: (channel: any Channel, since: NIODeadline)] = [:]

    func markIdle(_ channel: any Channel) {
        lock.withLock { channels[ObjectIdentifier(channel)] = (channel, .now()) }
    }

    func remove(_ channel: any Channel) {
        _ = lock.withLock { channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Closes the connection idle the longest; returns false when none is idle.
    func closeOldest() -> Bool {
        let oldest: (any Channel)? = lock.withLock {
            guard let (key, value) = channels.min(by: { $0.value.since < $1.value.since }) else { return nil }
            channels.removeValue(forKey: key)
            return value.channel
        }
        oldest?.close(promise: nil)
        return oldest != nil
    }
}

/// Caps the connections open at once. At the cap the connection idle the longest is closed to
/// make room; when none is idle, the server stops accepting and new connections wait in the
/// listen backlog until one closes. Logs when the cap is reached (at most once a minute).
struct ConnectionCap: AvailableConnectionsDelegate {
    let maximum: Int
    let idle: IdleConnections
    let logger: Logger
    private var open = 0
    private var lastLog: NIODeadline?

    init(maximum: Int, idle: IdleConnections, logger: Logger) {
        self.maximum = maximum
        self.idle = idle
        self.logger = logger
    }

    mutating func connectionOpened() {
        open += 1
        guard open >= maximum else { return }
        let closed = idle.closeOldest()
        let now = NIODeadline.now()
        if lastLog.map({ now - $0 > .seconds(60) }) ?? true {
            lastLog = now
            let action = closed ? "closing the connections idle the longest to make room" : "new connections wait until one closes"
            logger.info("\(open) connections open, the limit (--max-connections): \(action)")
        }
    }

    mutating func connectionClosed() { open -= 1 }

    func isAcceptingNewConnections() -> Bool { open < maximum }
}
