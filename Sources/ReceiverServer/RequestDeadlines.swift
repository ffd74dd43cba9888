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
    let logger: Logger
    private var phase = Phase.idle
    private var timer: Scheduled<Void>?

    init(limits: ConnectionLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let watch = FirstByteWatch { [self] in requestStarted(context: context) }
        try? context.pipeline.syncOperations.addHandler(watch, position: .first)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    /// The first bytes of a request (or of the TLS handshake) arrived.
    private func requestStarted(context: ChannelHandlerContext) {
        guard phase == .idle else { return }
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
        if case .end = unwrapOutboundIn(data), phase == .answering { phase = .idle }
        context.write(data, promise: promise)
    }

    private func arm(_ limit: Duration, context: ChannelHandlerContext, what: String, option: String) {
        timer?.cancel()
        let seconds = limit.seconds
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { [self] in
            timer = nil
            logger.info("closing a slow connection: no complete \(what) within \(seconds) s (\(option))",
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

/// Caps the connections open at once: beyond the cap the server stops accepting, and the
/// connections wait in the listen backlog until one closes. Logs when the cap is reached.
struct ConnectionCap: AvailableConnectionsDelegate {
    let maximum: Int
    let logger: Logger
    private var open = 0

    init(maximum: Int, logger: Logger) {
        self.maximum = maximum
        self.logger = logger
    }

    mutating func connectionOpened() {
        open += 1
        if open == maximum {
            logger.info("\(maximum) connections open, the limit (--max-connections): new connections wait until one closes")
        }
    }

    mutating func connectionClosed() { open -= 1 }

    func isAcceptingNewConnections() -> Bool { open < maximum }
}
